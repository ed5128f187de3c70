"""Semantic head of RefineMask (Zhang et al., CVPR 2021, Sec. 3.1).

A small FCN on the finest FPN level P2 (stride 4): 4 plain 3x3 convs + ReLU
(256 channels, no norm) give the fine-grained semantic features that every
refinement stage pools, and a 1x1 conv gives a class-agnostic foreground
logit map supervised with BCE (weight 1.0) against the union of the image's
instance masks.
"""
from typing import List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmdet.structures.mask import BitmapMasks, PolygonMasks, polygon_to_bitmap
from mmdet.utils import ConfigType, InstanceList, OptConfigType
from mmengine.model import BaseModule
from torch import Tensor, nn

from ....registry import MODELS


def mask_union(masks) -> Optional[np.ndarray]:
    """Union (H, W) bool of an image's instance masks, None without any.
    Polygons of all instances are rasterised together (one canvas, not one
    per instance: LVIS images can hold hundreds of instances)."""
    if len(masks) == 0:
        return None
    if isinstance(masks, PolygonMasks):
        polygons = [p for instance in masks.masks for p in instance]
        return polygon_to_bitmap(polygons, masks.height, masks.width)
    if isinstance(masks, BitmapMasks):
        return masks.masks.astype(bool).any(0)
    return masks.to_ndarray().astype(bool).any(0)


@MODELS.register_module()
class RefineSemanticHead(BaseModule):
    """Semantic head on P2.

    Args:
        in_channels (int): Channels of P2. Defaults to 256.
        num_convs (int): Number of 3x3 convs. Defaults to 4.
        conv_out_channels (int): Channels of the semantic features.
            Defaults to 256.
        with_logits (bool): Predict and supervise the foreground map. The
            'faster-better' variant has neither (its convs learn through the
            mask losses only). Defaults to True.
        conv_cfg (dict, optional): Conv config. Defaults to None.
        norm_cfg (dict, optional): Norm config. Defaults to None (the paper
            uses none).
        loss_semantic (dict): BCE on the logits. Defaults to sigmoid
            ``CrossEntropyLoss`` with weight 1.0.
        target_thr (float): The union of the masks, padded to the batch
            shape, is bilinearly resized to the P2 size and thresholded at
            this value. Defaults to 0.5.
        init_cfg (dict, optional): Initialization config.

    Shapes: (B, C, H/4, W/4) -> features (B, 256, H/4, W/4) and logits
    (B, 1, H/4, W/4) (None without logits).
    """

    def __init__(self,
                 in_channels: int = 256,
                 num_convs: int = 4,
                 conv_out_channels: int = 256,
                 with_logits: bool = True,
                 conv_cfg: OptConfigType = None,
                 norm_cfg: OptConfigType = None,
                 loss_semantic: ConfigType = dict(
                     type='CrossEntropyLoss', use_sigmoid=True,
                     loss_weight=1.0),
                 target_thr: float = 0.5,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.conv_out_channels = conv_out_channels
        self.with_logits = with_logits
        self.target_thr = target_thr
        self.convs = nn.ModuleList([
            ConvModule(in_channels if i == 0 else conv_out_channels,
                       conv_out_channels, 3, padding=1, conv_cfg=conv_cfg,
                       norm_cfg=norm_cfg) for i in range(num_convs)
        ])
        if with_logits:
            self.conv_logits = nn.Conv2d(conv_out_channels, 1, 1)
            self.loss_semantic = MODELS.build(loss_semantic)

    def init_weights(self) -> None:
        super().init_weights()
        if self.with_logits:
            nn.init.kaiming_normal_(self.conv_logits.weight, mode='fan_out',
                                    nonlinearity='relu')
            nn.init.constant_(self.conv_logits.bias, 0)

    def forward(self, x: Tensor) -> Tuple[Tensor, Optional[Tensor]]:
        for conv in self.convs:
            x = conv(x)
        logits = self.conv_logits(x) if self.with_logits else None
        return x, logits

    def get_targets(self, batch_gt_instances: InstanceList,
                    featmap_size: Tuple[int, int], stride: int) -> Tensor:
        """Binary union of each image's instance masks at the P2 size.

        The masks are zero-padded to the padded batch shape (featmap size x
        stride), resized bilinearly to the feature map and thresholded.

        Returns:
            Tensor: (B, h, w) float targets in {0, 1}.
        """
        h, w = featmap_size
        canvas_h, canvas_w = h * stride, w * stride
        device = self.convs[0].conv.weight.device
        targets: List[Tensor] = []
        for gt in batch_gt_instances:
            canvas = torch.zeros(canvas_h, canvas_w, device=device)
            union = mask_union(gt.masks)
            if union is not None:
                mh, mw = min(union.shape[0], canvas_h), min(
                    union.shape[1], canvas_w)
                canvas[:mh, :mw] = torch.from_numpy(
                    union[:mh, :mw]).to(device=device, dtype=torch.float32)
            targets.append(canvas)
        target = F.interpolate(torch.stack(targets)[:, None], (h, w),
                               mode='bilinear', align_corners=False)[:, 0]
        return (target >= self.target_thr).float()

    def loss(self, logits: Tensor, batch_gt_instances: InstanceList,
             stride: int = 4) -> dict:
        """BCE between the foreground logits (B, 1, h, w) and the union of
        the instance masks."""
        target = self.get_targets(batch_gt_instances, logits.shape[-2:],
                                  stride)
        return dict(loss_semantic=self.loss_semantic(logits[:, 0], target))
