"""Mask head of RefineMask (Zhang et al., CVPR 2021, Sec. 3.2-3.4).

14x14 RoI features (P2-P5) go through 2 3x3 convs and then through a chain
of Semantic Fusion Modules that double the size and halve the channels:
14 (256 ch) -> 28 (128) -> 56 (64) -> 112 (32). Every stage predicts a mask
at its own size; a final 1x1 conv predicts the 112x112 logits. Training
uses the boundary-aware refinement loss on all stages; at inference the
14x14 output is dropped and the 28/56/112 outputs are composed by Eq. 6
(:func:`compose_refined_logits`) before pasting.

The class reuses :class:`mmdet.models.FCNMaskHead` for its 3x3 convs
(``convs``), mask-target cropping and the pasting of the final masks.
"""
from typing import List, Optional, Sequence

from mmdet.models.roi_heads.mask_heads import FCNMaskHead
from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.structures.mask import mask_target
from mmdet.utils import ConfigType, InstanceList, OptConfigType
from mmengine.config import ConfigDict
from mmengine.model import BaseModule
from torch import Tensor, nn

from ....registry import MODELS
from ...layers.boundary_band import compose_refined_logits
from ...layers.semantic_fusion_module import SemanticFusionModule, class_logits


def check_stage_sizes(stage_sup_size: Sequence[int],
                      stage_num_classes: Sequence[int]) -> None:
    """Raise a ValueError naming the bad value unless the sizes double from
    stage to stage and there is one class count per stage."""
    if len(stage_sup_size) < 2:
        raise ValueError(f'stage_sup_size needs at least 2 stages, got '
                         f'{list(stage_sup_size)}')
    for a, b in zip(stage_sup_size[:-1], stage_sup_size[1:]):
        if b != 2 * a:
            raise ValueError(f'stage_sup_size must double at every stage, '
                             f'got {list(stage_sup_size)}')
    if len(stage_num_classes) != len(stage_sup_size):
        raise ValueError(
            f'stage_num_classes {list(stage_num_classes)} must have one '
            f'entry per stage of stage_sup_size {list(stage_sup_size)}')


@MODELS.register_module()
class RefineMaskHead(FCNMaskHead):
    """RefineMask head: instance convs, SFM stages and the final classifier.

    Args:
        num_convs (int): 3x3 convs on the RoI features. Defaults to 2.
        in_channels (int): RoI feature channels. Defaults to 256.
        conv_out_channels (int): Channels after the convs (256), halved at
            each stage. Defaults to 256.
        num_classes (int): Classes of every stage unless
            ``stage_num_classes`` is given. Defaults to 80.
        stage_num_classes (Sequence[int], optional): Classes per stage; 1
            makes a stage class-agnostic (LVIS: [1203, 1203, 1203, 1]).
        stage_sup_size (Sequence[int]): Output size of each stage. Defaults
            to (14, 28, 56, 112).
        semantic_channels (int): Channels of the semantic features.
            Defaults to 256.
        semantic_stride (int): Stride of the semantic maps. Defaults to 4.
        dilations (Sequence[int]): Dilations of the fusion. Defaults to
            (1, 3, 5).
        mask_use_sigmoid (bool): Fuse mask probabilities. Defaults to True.
        infer_start_stage (int): First stage kept at inference (the 14x14
            output is dropped). Defaults to 1.
        infer_boundary_width (int): Band width of the inference composition.
            Defaults to 1.
        conv_cfg, norm_cfg (dict, optional): Of the 3x3 convs (None: plain).
        loss_mask (dict): The BAR loss. Defaults to stage weights
            (0.25, 0.5, 0.75, 1.0), d = 2, full BCE on stages 0-1.
        init_cfg (dict, optional): Must be None (as FCNMaskHead).
    """

    def __init__(self,
                 num_convs: int = 2,
                 in_channels: int = 256,
                 conv_out_channels: int = 256,
                 num_classes: int = 80,
                 stage_num_classes: Optional[Sequence[int]] = None,
                 stage_sup_size: Sequence[int] = (14, 28, 56, 112),
                 semantic_channels: int = 256,
                 semantic_stride: int = 4,
                 dilations: Sequence[int] = (1, 3, 5),
                 mask_use_sigmoid: bool = True,
                 infer_start_stage: int = 1,
                 infer_boundary_width: int = 1,
                 conv_cfg: OptConfigType = None,
                 norm_cfg: OptConfigType = None,
                 loss_mask: ConfigType = dict(
                     type='BoundaryAwareRefinementLoss',
                     stage_weights=(0.25, 0.5, 0.75, 1.0),
                     boundary_width=2,
                     start_stage=1),
                 init_cfg=None) -> None:
        stage_num_classes = list(stage_num_classes or [num_classes] *
                                 len(stage_sup_size))
        check_stage_sizes(stage_sup_size, stage_num_classes)
        # FCNMaskHead builds the 3x3 convs and the loss; the stage logits are
        # already the channel of each RoI's class, hence class_agnostic=True
        # for the pasting it does.
        super().__init__(
            num_convs=num_convs,
            roi_feat_size=stage_sup_size[0],
            in_channels=in_channels,
            conv_out_channels=conv_out_channels,
            num_classes=stage_num_classes[-1],
            class_agnostic=True,
            upsample_cfg=dict(type=None),
            conv_cfg=conv_cfg,
            norm_cfg=norm_cfg,
            loss_mask=loss_mask,
            init_cfg=init_cfg)
        del self.conv_logits
        self.stage_sup_size = list(stage_sup_size)
        self.stage_num_classes = stage_num_classes
        self.semantic_stride = semantic_stride
        self.infer_start_stage = infer_start_stage
        self.infer_boundary_width = infer_boundary_width
        self._build_stages(semantic_channels, semantic_stride, dilations,
                           mask_use_sigmoid)

    def _build_stages(self, semantic_channels, semantic_stride, dilations,
                      mask_use_sigmoid) -> None:
        self.stages = nn.ModuleList()
        channels = self.conv_out_channels
        for size, classes in zip(self.stage_sup_size[:-1],
                                 self.stage_num_classes[:-1]):
            self.stages.append(
                SemanticFusionModule(
                    channels, channels // 2, size, classes,
                    semantic_channels=semantic_channels,
                    semantic_stride=semantic_stride,
                    dilations=dilations,
                    mask_use_sigmoid=mask_use_sigmoid))
            channels //= 2
        self.final_logits = nn.Conv2d(channels, self.stage_num_classes[-1],
                                      1)

    def init_weights(self) -> None:
        BaseModule.init_weights(self)  # FCNMaskHead's expects conv_logits
        nn.init.kaiming_normal_(self.final_logits.weight, mode='fan_out',
                                nonlinearity='relu')
        nn.init.constant_(self.final_logits.bias, 0)

    def forward(self, roi_feats: Tensor, semantic_feat: Tensor,
                semantic_pred: Optional[Tensor], rois: Tensor,
                roi_labels: Tensor) -> List[Tensor]:
        """
        Args:
            roi_feats (Tensor): (N, C, 14, 14) RoI features.
            semantic_feat (Tensor): (B, 256, H/4, W/4) semantic features.
            semantic_pred (Tensor): (B, 1, H/4, W/4) foreground logits.
            rois (Tensor): (N, 5) RoIs.
            roi_labels (Tensor): (N, ) classes (GT at training time).

        Returns:
            list[Tensor]: Logits (N, 1, S_k, S_k) of every stage.
        """
        if semantic_pred is None:
            raise ValueError('RefineMaskHead fuses the semantic mask: build '
                             'the semantic head with with_logits=True')
        x = roi_feats
        for conv in self.convs:
            x = conv(x)
        stage_logits = []
        for stage in self.stages:
            logits, x = stage(x, semantic_feat, semantic_pred, rois,
                              roi_labels)
            stage_logits.append(logits)
        stage_logits.append(class_logits(self.final_logits, x, roi_labels))
        return stage_logits

    def refine(self, stage_logits: List[Tensor]) -> Tensor:
        """Final (N, 1, S, S) logits of the inference composition (Eq. 6),
        starting from stage ``infer_start_stage``."""
        return compose_refined_logits(stage_logits[self.infer_start_stage:],
                                      self.infer_boundary_width)[-1]

    def get_targets(self, sampling_results: List[SamplingResult],
                    batch_gt_instances: InstanceList,
                    rcnn_train_cfg: ConfigDict) -> List[Tensor]:
        """Binary targets (num_pos, S_k, S_k) of every stage: the assigned
        GT mask cropped to each positive box and resized to S_k."""
        pos_priors = [res.pos_priors for res in sampling_results]
        gt_inds = [res.pos_assigned_gt_inds for res in sampling_results]
        gt_masks = [res.masks for res in batch_gt_instances]
        return [
            mask_target(pos_priors, gt_inds, gt_masks,
                        ConfigDict(mask_size=size))
            for size in self.stage_sup_size
        ]

    def loss_and_target(self, mask_preds: List[Tensor],
                        sampling_results: List[SamplingResult],
                        batch_gt_instances: InstanceList,
                        rcnn_train_cfg: ConfigDict) -> dict:
        """BAR loss of the stage logits; returns ``loss_mask`` (a dict) and
        the per-stage ``mask_targets``."""
        targets = self.get_targets(sampling_results, batch_gt_instances,
                                   rcnn_train_cfg)
        loss = self.loss_mask(mask_preds, targets)
        return dict(loss_mask=dict(loss_mask=loss), mask_targets=targets)


__all__ = ['RefineMaskHead', 'check_stage_sizes']
