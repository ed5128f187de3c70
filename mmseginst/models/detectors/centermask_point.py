"""CenterMask: single shot instance segmentation with point representation
(Wang et al., CVPR 2020, arXiv 2004.04446)."""
from mmdet.models.detectors.single_stage_instance_seg import \
    SingleStageInstanceSegmentor
from torch import Tensor

from ...registry import MODELS


@MODELS.register_module()
class CenterMaskPoint(SingleStageInstanceSegmentor):
    """CenterMask with point representation.

    A backbone (+ neck) gives a stride-4 map (or an FPN for the FCOS
    variant); the ``bbox_head`` finds the objects (CenterNet heatmap, offset
    and size with :class:`CenterMaskPointHead`, or FCOS with
    :class:`CenterMaskPointFCOSHead`) and predicts their Local Shape vectors;
    the ``mask_head`` (:class:`GlobalSaliencyHead`) predicts the Global
    Saliency map and assembles the masks. Training and inference follow
    mmdet's ``SingleStageInstanceSegmentor`` (box-head positives feed the mask
    head); only the tensor-mode forward differs.
    """

    def _forward(self, batch_inputs: Tensor, batch_data_samples=None,
                 **kwargs) -> tuple:
        """Raw head outputs (no assignment, no decoding), for FLOP counting
        and export: ``(bbox_head outputs, saliency maps)``."""
        x = self.extract_feat(batch_inputs)
        return self.bbox_head.forward(x), self.mask_head.forward(x)[0]
