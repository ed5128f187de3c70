"""SpatialEmbeddings (Neven et al., CVPR 2019): proposal-free instance
segmentation by pixel embeddings, learned clustering bandwidths and seed
maps.

The detector is mmdet's single-stage instance segmentor without a box head:
``backbone`` (ERFNet encoder, or ResNet) -> optional ``neck`` (FPN) ->
``mask_head`` (:class:`SpatialEmbeddingHead`, the BranchedERFNet decoders).
Training targets come from ``gt_instances.masks`` of mmdet's data pipeline;
``predict`` returns per-image ``InstanceData`` (masks, labels, scores,
bboxes) at the original image size.
"""
from mmdet.models.detectors.single_stage_instance_seg import \
    SingleStageInstanceSegmentor
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig

from ...registry import MODELS


@MODELS.register_module()
class SpatialEmbeddings(SingleStageInstanceSegmentor):
    """SpatialEmbeddings detector.

    Args:
        backbone (dict): Backbone config (``ERFNet`` in the paper).
        mask_head (dict): ``SpatialEmbeddingHead`` config.
        neck (dict, optional): Neck config (e.g. FPN for a ResNet).
        train_cfg, test_cfg (dict, optional): Passed to the head
            (``test_cfg`` holds the clustering thresholds).
        data_preprocessor (dict, optional): ``DetDataPreprocessor`` config.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: ConfigType,
                 mask_head: ConfigType,
                 neck: OptConfigType = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            backbone=backbone,
            neck=neck,
            bbox_head=None,
            mask_head=mask_head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
