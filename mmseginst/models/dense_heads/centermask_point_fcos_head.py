"""FCOS with a Local Shape branch: the FCOS variant of CenterMask (Wang et
al., CVPR 2020, Sec. 4, "embedded to other one-stage detectors").

Every FCOS location predicts, besides its class scores, box and centerness, a
Local Shape vector of ``S*S`` logits; the positives of FCOS's assignment play
the role of CenterMask's object centers. The Global Saliency (on P3) and the
Mask Assembly are the same :class:`GlobalSaliencyHead` as in the point
version, fed through ``get_positive_infos`` / the prediction results.

The Local Shape features ride through FCOS's assignment and NMS as a
per-location vector (:class:`~mmseginst.models.utils.LocationVectorsMixin`,
over mmdet's CondInst box head); the head form is the paper's (3x3 conv +
ReLU + 1x1 conv) on each FPN level. The vector carried is the hidden feature
after the 3x3 conv and ReLU; the last 1x1 conv runs only on the positives
(training) and the detections kept by NMS (test), as in
:class:`CenterMaskPointHead`: a dense map of S*S = 1024 channels over every
FPN location is never built. As in CondInst, center sampling uses the mask
centroid when masks are given; the paper's own FCOS details are [unverified].
"""
from typing import Tuple

import torch.nn as nn
from mmcv.cnn import Scale
from mmdet.models.dense_heads import CondInstBboxHead, FCOSHead
from mmdet.utils import InstanceList
from torch import Tensor

from ...registry import MODELS
from ..utils import LocationVectorsMixin, conv1x1_at


@MODELS.register_module()
class CenterMaskPointFCOSHead(LocationVectorsMixin, CondInstBboxHead):
    """FCOS head that also predicts a Local Shape vector per location.

    Outputs per FPN level: FCOS's ``cls_score`` (B, C, H, W), ``bbox_pred``
    (B, 4, H, W), ``centerness`` (B, 1, H, W) and the Local Shape head's
    hidden features (B, shape_feat_channels, H, W), i.e. ``shape_head[:-1]``;
    the Local Shape logits (S*S) are ``shape_head[-1]`` of them, computed
    where they are used (``get_positive_infos``, ``predict_by_feat``).

    Args:
        shape_size (int): S. Defaults to 32 (Sec. 3.5).
        shape_feat_channels (int): width of the Local Shape head's 3x3 conv.
            Defaults to 256.
        *args, **kwargs: FCOSHead's arguments.
    """

    def __init__(self,
                 *args,
                 shape_size: int = 32,
                 shape_feat_channels: int = 256,
                 **kwargs) -> None:
        if shape_size < 1:
            raise ValueError(f'shape_size must be positive, got {shape_size}')
        self.shape_size = shape_size
        self.shape_feat_channels = shape_feat_channels
        self.vector_channels = dict(shape_feats=shape_feat_channels)
        super().__init__(*args, num_params=shape_feat_channels, **kwargs)

    def _init_layers(self) -> None:
        super()._init_layers()
        self.shape_head = nn.Sequential(
            nn.Conv2d(self.in_channels, self.shape_feat_channels, 3,
                      padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(self.shape_feat_channels, self.shape_size**2, 1))

    def forward_single(self, x: Tensor, scale: Scale,
                       stride: int) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        cls_score, bbox_pred, centerness = FCOSHead.forward_single(
            self, x, scale, stride)
        return cls_score, bbox_pred, centerness, self.shape_head[:-1](x)

    def get_positive_infos(self) -> InstanceList:
        """The FCOS positives (see :class:`LocationVectorsMixin`), with
        their Local Shape logits ``shape_preds`` (num_pos, 1, S*S) (one
        supervised map)."""
        infos = super().get_positive_infos()
        for info in infos:
            info.shape_preds = self._local_shapes(info)[:, None]
        return infos

    def predict_by_feat(self, *args, **kwargs) -> InstanceList:
        """FCOS detections after NMS, each with its ``shape_preds`` (S*S)."""
        results_list = super().predict_by_feat(*args, **kwargs)
        for results in results_list:
            results.shape_preds = self._local_shapes(results)
        return results_list

    def _local_shapes(self, instances) -> Tensor:
        """(N, S*S) logits of the carried hidden features, which leave
        ``instances``."""
        feats = instances.shape_feats
        del instances.shape_feats
        return conv1x1_at(self.shape_head[-1], feats)
