"""mmdet's StandardRoIHead that feeds image shapes to adaptive extractors."""
from typing import Tuple

from mmdet.models.roi_heads import StandardRoIHead
from mmdet.structures import SampleList
from mmdet.utils import InstanceList
from torch import Tensor

from mmseginst.registry import MODELS
from ..roi_extractors.adaptive_roi_extractor import roi_img_shapes


@MODELS.register_module()
class AdaptiveLevelRoIHead(StandardRoIHead):
    """:class:`StandardRoIHead` whose :class:`AdaptiveRoIExtractor` s see
    the ``img_shape`` of the batch, so that CenterMask's adaptive RoI level
    assignment (Eq. 2) can replace FPN's rule in any two-stage detector
    (Mask R-CNN, Faster R-CNN, ...) by changing the config only::

        roi_head=dict(
            type='AdaptiveLevelRoIHead',
            bbox_roi_extractor=dict(type='AdaptiveRoIExtractor', ...),
            mask_roi_extractor=dict(type='AdaptiveRoIExtractor', ...),
            ...)

    Everything else is mmdet's head, unchanged.
    """

    def loss(self, x: Tuple[Tensor], rpn_results_list: InstanceList,
             batch_data_samples: SampleList) -> dict:
        with roi_img_shapes(self, [s.metainfo for s in batch_data_samples]):
            return super().loss(x, rpn_results_list, batch_data_samples)

    def predict(self,
                x: Tuple[Tensor],
                rpn_results_list: InstanceList,
                batch_data_samples: SampleList,
                rescale: bool = False) -> InstanceList:
        with roi_img_shapes(self, [s.metainfo for s in batch_data_samples]):
            return super().predict(x, rpn_results_list, batch_data_samples,
                                   rescale)

    def forward(self,
                x: Tuple[Tensor],
                rpn_results_list: InstanceList,
                batch_data_samples: SampleList = None) -> tuple:
        if batch_data_samples is None:
            raise ValueError('AdaptiveLevelRoIHead.forward needs '
                             'batch_data_samples (for img_shape)')
        with roi_img_shapes(self, [s.metainfo for s in batch_data_samples]):
            return super().forward(x, rpn_results_list, batch_data_samples)
