"""Semantic Fusion Module (SFM) of RefineMask (Zhang et al., CVPR 2021,
Sec. 3.3, Fig. 3): one refinement stage of the mask head.

A stage at size S with C_in instance channels:

1. instance mask: 1x1 conv C_in -> num_classes on the instance features,
   the channel of the RoI's class kept (the stage's supervised logits),
   then a sigmoid;
2. semantic features: 1x1 conv 256 -> C_in + ReLU on the semantic head's
   features, RoIAlign to S x S (stride 4), 1x1 conv C_in -> C_in + ReLU;
3. semantic mask: RoIAlign of sigmoid(semantic logits) to S x S;
4. concatenation [instance feats, semantic feats, instance mask, semantic
   mask] (2 C_in + 2 channels), 1x1 conv -> C_in + ReLU;
5. :class:`MultiBranchFusion`: three parallel 3x3 convs with dilations 1, 3,
   5 (each + ReLU) summed, a 1x1 merge conv, ReLU;
6. 1x1 conv -> C_out - 2 + ReLU, bilinear x2 upsampling + ReLU;
7. the two masks, upsampled to 2S, concatenated again: C_out channels.

:class:`SimpleSemanticFusionModule` is the stage of the official
'faster-better' variant (2021-12): no semantic mask, semantic RoI features
by point sampling without the output transform, a global-average branch in
the fusion and the instance mask re-attached before upsampling.
"""
from typing import Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmcv.ops import SimpleRoIAlign, roi_align
from mmengine.model import BaseModule
from torch import Tensor, nn


def _kaiming(convs) -> None:
    for conv in convs:
        nn.init.kaiming_normal_(conv.weight, mode='fan_out',
                                nonlinearity='relu')
        nn.init.constant_(conv.bias, 0)


def class_logits(conv: nn.Conv2d, x: Tensor, labels: Tensor) -> Tensor:
    """The channel of each RoI's class of a 1x1 conv: (N, C, S, S) features
    -> (N, 1, S, S) logits, a single-channel (class-agnostic) conv being
    applied as it is.

    Equal to ``conv(x)[range(N), labels]`` (the official code) but computes
    only the selected channel, which matters with 1203 LVIS classes at 56x56.
    """
    if conv.out_channels == 1:
        return conv(x)
    n, c, h, w = x.shape
    weight = conv.weight[labels].view(n, 1, c)
    out = torch.bmm(weight, x.reshape(n, c, h * w)).view(n, 1, h, w)
    return out + conv.bias[labels].view(n, 1, 1, 1)


class MultiBranchFusion(nn.Module):
    """Parallel dilated 3x3 convs, summed, then a 1x1 merge conv.

    Args:
        channels (int): Input and output channels.
        dilations (Sequence[int]): One 3x3 conv + ReLU per dilation (padding
            equal to the dilation). Defaults to (1, 3, 5).
        with_global_avg (bool): Add the global average of the input to the
            sum (the 'faster-better' variant). Defaults to False.

    Shapes: (N, C, S, S) -> (N, C, S, S), no activation after the merge.
    """

    def __init__(self,
                 channels: int,
                 dilations: Sequence[int] = (1, 3, 5),
                 with_global_avg: bool = False) -> None:
        super().__init__()
        self.with_global_avg = with_global_avg
        self.branches = nn.ModuleList([
            ConvModule(channels, channels, 3, padding=d, dilation=d)
            for d in dilations
        ])
        self.merge_conv = ConvModule(channels, channels, 1, act_cfg=None)

    def forward(self, x: Tensor) -> Tensor:
        out = sum(branch(x) for branch in self.branches)
        if self.with_global_avg:
            out = out + F.adaptive_avg_pool2d(x, 1)
        return self.merge_conv(out)


class SemanticFusionModule(BaseModule):
    """One RefineMask stage: predicts the stage's mask at size S and fuses
    instance features, semantic features and both masks into the features
    of the next stage at 2S (module docstring, steps 1-7).

    Args:
        in_channels (int): C_in of the instance features.
        out_channels (int): C_out of the output features (C_in // 2 in the
            paper); the last 2 channels are the two re-attached masks.
        roi_size (int): S, the spatial size of the input features.
        num_classes (int): Channels of the stage's mask predictor (1 for a
            class-agnostic stage).
        semantic_channels (int): Channels of the semantic head's features.
            Defaults to 256.
        semantic_stride (int): Stride of the semantic maps. Defaults to 4.
        dilations (Sequence[int]): Dilations of the fusion. Defaults to
            (1, 3, 5).
        mask_use_sigmoid (bool): Fuse probabilities rather than logits (True
            in every official config). Defaults to True.
        init_cfg (dict, optional): Initialization config.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 roi_size: int,
                 num_classes: int,
                 semantic_channels: int = 256,
                 semantic_stride: int = 4,
                 dilations: Sequence[int] = (1, 3, 5),
                 mask_use_sigmoid: bool = True,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if out_channels <= 2:
            raise ValueError(f'SemanticFusionModule: out_channels must be > 2 '
                             f'(2 are the re-attached masks), got '
                             f'{out_channels}')
        self.roi_size = roi_size
        self.spatial_scale = 1.0 / semantic_stride
        self.mask_use_sigmoid = mask_use_sigmoid
        self.semantic_transform_in = nn.Conv2d(semantic_channels, in_channels,
                                               1)
        self.semantic_transform_out = nn.Conv2d(in_channels, in_channels, 1)
        self.instance_logits = nn.Conv2d(in_channels, num_classes, 1)
        self.fuse_conv = nn.Conv2d(2 * in_channels + 2, in_channels, 1)
        self.fusion = MultiBranchFusion(in_channels, dilations)
        self.fuse_transform_out = nn.Conv2d(in_channels, out_channels - 2, 1)

    def init_weights(self) -> None:
        super().init_weights()
        _kaiming([
            self.semantic_transform_in, self.semantic_transform_out,
            self.instance_logits, self.fuse_conv, self.fuse_transform_out
        ])

    def _roi_align(self, feat: Tensor, rois: Tensor) -> Tensor:
        # aligned RoIAlign, adaptive sampling: the semantic RoI extractor of
        # the official head (a single-level SingleRoIExtractor)
        return roi_align(feat, rois, (self.roi_size, self.roi_size),
                         self.spatial_scale, 0, 'avg', True)

    def forward(self, instance_feats: Tensor, semantic_feat: Tensor,
                semantic_pred: Tensor, rois: Tensor,
                roi_labels: Tensor) -> Tuple[Tensor, Tensor]:
        """
        Args:
            instance_feats (Tensor): (N, C_in, S, S).
            semantic_feat (Tensor): (B, 256, H/4, W/4).
            semantic_pred (Tensor): (B, 1, H/4, W/4) foreground logits.
            rois (Tensor): (N, 5) boxes with their image index first.
            roi_labels (Tensor): (N, ) class of each RoI.

        Returns:
            tuple[Tensor, Tensor]: the stage's logits (N, 1, S, S) and the
            next stage's features (N, C_out, 2S, 2S).
        """
        relu = F.relu
        semantic = relu(self.semantic_transform_in(semantic_feat))
        semantic = relu(self.semantic_transform_out(
            self._roi_align(semantic, rois)))
        logits = class_logits(self.instance_logits, instance_feats,
                              roi_labels)
        instance_mask = logits.sigmoid() if self.mask_use_sigmoid else logits
        sem_pred = semantic_pred.sigmoid() if self.mask_use_sigmoid \
            else semantic_pred
        semantic_mask = self._roi_align(sem_pred, rois)

        x = torch.cat([instance_feats, semantic, instance_mask, semantic_mask],
                      dim=1)
        x = relu(self.fuse_conv(x))
        x = relu(self.fusion(x))
        x = relu(self.fuse_transform_out(x))
        x = relu(F.interpolate(x, scale_factor=2, mode='bilinear',
                               align_corners=False))
        masks = F.interpolate(torch.cat([instance_mask, semantic_mask], 1),
                              x.shape[-2:], mode='bilinear',
                              align_corners=True)
        return logits, torch.cat([x, masks], dim=1)


class SimpleSemanticFusionModule(BaseModule):
    """Stage of the 'faster-better' RefineMask (``SimpleSFMStage`` of the
    official code): [instance feats, point-sampled semantic feats,
    sigmoid(instance logits)] -> 1x1 conv -> fusion with a global-average
    branch -> 1x1 conv to C_out - 1, the instance mask re-attached, then
    (optionally) bilinear x2 upsampling.

    Args:
        in_channels (int): C_in.
        out_channels (int): C_out (the last channel is the instance mask).
        roi_size (int): S.
        semantic_channels (int): Defaults to 256.
        semantic_stride (int): Defaults to 4.
        dilations (Sequence[int]): Defaults to (1, 3, 5).
        with_global_avg (bool): Defaults to True.
        init_cfg (dict, optional): Initialization config.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 roi_size: int,
                 semantic_channels: int = 256,
                 semantic_stride: int = 4,
                 dilations: Sequence[int] = (1, 3, 5),
                 with_global_avg: bool = True,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.semantic_transform_in = nn.Conv2d(semantic_channels, in_channels,
                                               1)
        self.semantic_roi_extractor = SimpleRoIAlign(
            output_size=roi_size, spatial_scale=1.0 / semantic_stride)
        self.fuse_conv = nn.Conv2d(2 * in_channels + 1, in_channels, 1)
        self.fusion = MultiBranchFusion(in_channels, dilations,
                                        with_global_avg)
        self.fuse_transform_out = nn.Conv2d(in_channels, out_channels - 1, 1)

    def init_weights(self) -> None:
        super().init_weights()
        _kaiming([
            self.semantic_transform_in, self.fuse_conv,
            self.fuse_transform_out
        ])

    def forward(self,
                instance_feats: Tensor,
                instance_logits: Tensor,
                semantic_feat: Tensor,
                rois: Tensor,
                upsample: bool = True) -> Tensor:
        """(N, C_in, S, S) features and (N, 1, S, S) logits -> (N, C_out,
        2S, 2S) features (S x S when ``upsample`` is False)."""
        semantic = F.relu(self.semantic_transform_in(semantic_feat))
        if len(rois):
            semantic = self.semantic_roi_extractor(semantic, rois)
        else:  # mmcv's SimpleRoIAlign cannot handle zero RoIs
            semantic = semantic.new_zeros((0, semantic.shape[1]) +
                                          instance_feats.shape[-2:])
        mask = instance_logits.sigmoid()
        x = torch.cat([instance_feats, semantic, mask], dim=1)
        x = F.relu(self.fuse_conv(x))
        x = F.relu(self.fusion(x))
        x = F.relu(self.fuse_transform_out(x))
        x = torch.cat([x, mask], dim=1)
        if upsample:
            x = F.interpolate(x, scale_factor=2, mode='bilinear',
                              align_corners=False)
        return x
