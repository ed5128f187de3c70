"""The 'faster-better' RefineMask head (official repository, 2021-12,
``SimpleRefineMaskHead``; RM: configs/refinemask/coco/
r50-refinemask-1x-faster-better.py).

Same stages as :class:`RefineMaskHead` but lighter: no semantic mask (the
semantic head has no logits and no loss; its convs learn through the mask
losses), semantic RoI features by point sampling without an output
transform, a global-average branch in the fusion, the instance mask
re-attached before upsampling, a class-agnostic last stage whose logits are
computed at 56x56 and bilinearly upsampled to 112x112, and stage weights
(0.5, 0.75, 0.75, 1.0). The official README trains it with 2 images per GPU
in under 11 GB.
"""
from typing import List, Optional, Sequence

import torch.nn.functional as F
from mmdet.utils import ConfigType
from mmengine.model import BaseModule
from torch import Tensor, nn

from ....registry import MODELS
from ...layers.semantic_fusion_module import (SimpleSemanticFusionModule,
                                              class_logits)
from .refine_mask_head import RefineMaskHead


@MODELS.register_module()
class SimpleRefineMaskHead(RefineMaskHead):
    """'Faster-better' RefineMask head.

    Args:
        stage_num_classes (Sequence[int], optional): Defaults to
            ``[num_classes] * 3 + [1]`` (class-agnostic last stage).
        with_global_avg (bool): Global-average branch in the fusion.
            Defaults to True.
        pre_upsample_last_stage (bool): Upsample the features before the
            last classifier instead of upsampling its logits. Defaults to
            False.
        loss_mask (dict): BAR loss with stage weights (0.5, 0.75, 0.75,
            1.0).
        **kwargs: Other arguments of :class:`RefineMaskHead`
            (``mask_use_sigmoid`` is not used: probabilities are fused).
    """

    def __init__(self,
                 num_classes: int = 80,
                 stage_num_classes: Optional[Sequence[int]] = None,
                 stage_sup_size: Sequence[int] = (14, 28, 56, 112),
                 with_global_avg: bool = True,
                 pre_upsample_last_stage: bool = False,
                 loss_mask: ConfigType = dict(
                     type='BoundaryAwareRefinementLoss',
                     stage_weights=(0.5, 0.75, 0.75, 1.0),
                     boundary_width=2,
                     start_stage=1),
                 **kwargs) -> None:
        if stage_num_classes is None:
            stage_num_classes = [num_classes] * (len(stage_sup_size) - 1) + [1]
        self.with_global_avg = with_global_avg
        self.pre_upsample_last_stage = pre_upsample_last_stage
        super().__init__(
            num_classes=num_classes,
            stage_num_classes=stage_num_classes,
            stage_sup_size=stage_sup_size,
            loss_mask=loss_mask,
            **kwargs)

    def _build_stages(self, semantic_channels, semantic_stride, dilations,
                      mask_use_sigmoid) -> None:
        self.stages = nn.ModuleList()
        channels = [self.conv_out_channels]
        for size in self.stage_sup_size[:-1]:
            self.stages.append(
                SimpleSemanticFusionModule(
                    channels[-1], channels[-1] // 2, size,
                    semantic_channels=semantic_channels,
                    semantic_stride=semantic_stride,
                    dilations=dilations,
                    with_global_avg=self.with_global_avg))
            channels.append(channels[-1] // 2)
        self.stage_logits = nn.ModuleList([
            nn.Conv2d(c, n, 1)
            for c, n in zip(channels, self.stage_num_classes)
        ])

    def init_weights(self) -> None:
        BaseModule.init_weights(self)
        for conv in self.stage_logits:
            nn.init.kaiming_normal_(conv.weight, mode='fan_out',
                                    nonlinearity='relu')
            nn.init.constant_(conv.bias, 0)

    def forward(self, roi_feats: Tensor, semantic_feat: Tensor,
                semantic_pred: Optional[Tensor], rois: Tensor,
                roi_labels: Tensor) -> List[Tensor]:
        """Same inputs and outputs as :meth:`RefineMaskHead.forward`;
        ``semantic_pred`` is not used."""
        x = roi_feats
        for conv in self.convs:
            x = conv(x)
        outs = []
        last = len(self.stages) - 1
        for k, stage in enumerate(self.stages):
            logits = class_logits(self.stage_logits[k], x, roi_labels)
            upsample = self.pre_upsample_last_stage or k < last
            x = stage(x, logits, semantic_feat, rois, upsample)
            outs.append(logits)
        logits = class_logits(self.stage_logits[-1], x, roi_labels)
        if not self.pre_upsample_last_stage:
            logits = F.interpolate(logits, scale_factor=2, mode='bilinear',
                                   align_corners=True)
        outs.append(logits)
        return outs
