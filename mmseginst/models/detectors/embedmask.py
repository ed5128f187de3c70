"""EmbedMask detector (Ying et al., "EmbedMask: Embedding Coupling for
One-stage Instance Segmentation", arXiv 1912.01954).

A one-stage instance segmentor: backbone + FPN (P3-P7), an FCOS box head that
also predicts a proposal embedding and margin per location
(:class:`EmbedMaskHead`) and a pixel-embedding branch on P3 that turns each
detection into a mask by embedding coupling (:class:`EmbedMaskPixelHead`).
The box head hands the proposals sampled for each ground truth to the pixel
head through ``get_positive_infos`` (training) and the detections with their
embeddings through ``results_list`` (inference), exactly as
:class:`mmdet.models.SingleStageInstanceSegmentor` wires CondInst.
"""
from mmdet.models.detectors.single_stage_instance_seg import \
    SingleStageInstanceSegmentor
from mmdet.structures import OptSampleList
from torch import Tensor

from ...registry import MODELS


@MODELS.register_module()
class EmbedMask(SingleStageInstanceSegmentor):
    """EmbedMask: ``bbox_head`` is an :class:`EmbedMaskHead`, ``mask_head``
    an :class:`EmbedMaskPixelHead`; the constructor is the one of
    :class:`SingleStageInstanceSegmentor` (see the module docstring)."""

    def _forward(self, batch_inputs: Tensor,
                 batch_data_samples: OptSampleList = None,
                 **kwargs) -> tuple:
        """Raw outputs of both heads (no loss, no post-processing), e.g. to
        count FLOPs; the parent's version needs ground truth."""
        x = self.extract_feat(batch_inputs)
        return self.bbox_head.forward(x) + self.mask_head.forward(x)
