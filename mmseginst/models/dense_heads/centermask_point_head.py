"""Point heads of CenterMask (Wang et al., CVPR 2020, Sec. 3.4, Fig. 3).

Four of the five heads on the stride-4 map: Heatmap (C), Offset (2), Size (2)
and Local Shape (S*S); the fifth, the Global Saliency, and the Mask Assembly
live in :class:`GlobalSaliencyHead`, which this head feeds with the Local
Shape vector of every object (ground-truth centers in training, heatmap peaks
at test time), like mmdet's CondInst box head feeds its mask head.

Everything CenterNet (Zhou et al. 2019) already defines is mmdet's
:class:`CenterNetHead`: the 3x3 conv + ReLU + 1x1 conv head form, the heatmap
bias for a prior of 0.1 (-2.19), the penalty-reduced focal loss (Eq. 3,
GaussianFocalLoss, alpha=2, beta=4, divided by the number of objects) and the
L1 offset/size losses (Eqs. 4-5, size weight 0.1). This class adds the Local
Shape head, a configurable Gaussian ``min_overlap``, intermediate supervision
over Hourglass stacks, and decoding that keeps the shape vector of each peak.
"""
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
from mmdet.models.dense_heads import CenterNetHead
from mmdet.models.utils import (gaussian_radius, gen_gaussian_target,
                                get_local_maximum, get_topk_from_heatmap,
                                transpose_and_gather_feat)
from mmdet.utils import InstanceList, OptInstanceList
from mmengine.structures import InstanceData
from torch import Tensor

from ...registry import MODELS
from ..utils import conv1x1_at, decode_boxes, rescale_boxes_to_image


@MODELS.register_module()
class CenterMaskPointHead(CenterNetHead):
    """Heatmap, Offset, Size and Local Shape heads of CenterMask.

    Input: one or more (B, in_channels, H, W) maps at stride 4 (two for
    Hourglass-104: every stack is supervised, the heads are shared, the last
    stack is used at test time). Outputs per map: heatmap (B, C, H, W) after
    sigmoid, size (B, 2, H, W) as (w, h) in cells (mmdet's channel order),
    offset (B, 2, H, W) and the Local Shape features (B, feat_channels, H, W)
    after the head's 3x3 conv + ReLU. The head's last 1x1 conv (to S*S) is
    applied only where a vector is used, at the ground-truth centers in
    training and at the top-k peaks at test time (:meth:`local_shape_at`):
    the same vectors as the dense (B, S*S, H, W) map, without computing it
    (the shapes config trains at 1.09 s/iteration with S=32 this way, 1.20
    s with a dense S=16 map; a dense S=32 map has four times its cost).
    Parameters and state-dict keys are those of the dense head.

    Args:
        num_classes (int): C.
        in_channels (int): channels of the stride-4 map.
        feat_channels (int): width of each head's 3x3 conv. Defaults to 256
            (the paper's head form).
        shape_size (int, optional): S of the Local Shape. Defaults to 32
            (Sec. 3.5). None drops the Local Shape head (the saliency-only
            ablation).
        loss_center_heatmap, loss_wh, loss_offset (dict): as CenterNetHead;
            the weights lambda_p=1, lambda_size=0.1, lambda_off=1 are those of
            both reimplementations (the paper's are [unverified]).
        train_cfg (dict, optional): ``min_overlap`` of the Gaussian radius
            (default 0.3, mmdet's CenterNet value for its corrected radius
            formula).
        test_cfg (dict, optional): ``topk`` peaks (100, no NMS),
            ``local_maximum_kernel`` (3) and ``score_thr`` (0: keep all).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 feat_channels: int = 256,
                 shape_size: Optional[int] = 32,
                 loss_center_heatmap: dict = dict(
                     type='GaussianFocalLoss',
                     alpha=2.0,
                     gamma=4.0,
                     loss_weight=1.0),
                 loss_wh: dict = dict(type='L1Loss', loss_weight=0.1),
                 loss_offset: dict = dict(type='L1Loss', loss_weight=1.0),
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            in_channels=in_channels,
            feat_channels=feat_channels,
            num_classes=num_classes,
            loss_center_heatmap=loss_center_heatmap,
            loss_wh=loss_wh,
            loss_offset=loss_offset,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            init_cfg=init_cfg)
        if shape_size is not None and shape_size < 1:
            raise ValueError(f'shape_size must be a positive int or None, '
                             f'got {shape_size!r}')
        self.shape_size = shape_size
        self.shape_head = None
        if shape_size is not None:
            self.shape_head = self._build_head(in_channels, feat_channels,
                                               shape_size**2)
        unknown = set(train_cfg or {}) - {'min_overlap'}
        if unknown:
            raise ValueError(f'unknown train_cfg keys {sorted(unknown)} of '
                             'CenterMaskPointHead; valid: min_overlap')
        self.min_overlap = (train_cfg or {}).get('min_overlap', 0.3)
        self.test_cfg = dict(topk=100, local_maximum_kernel=3, score_thr=0.0)
        self.test_cfg.update(test_cfg or {})

    def init_weights(self) -> None:
        super().init_weights()
        if self.shape_head is not None:
            # CenterNet's own initialisation of its regression heads:
            # default conv weights, zero bias (Local Shape starts at 0.5).
            for m in self.shape_head.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.zeros_(m.bias)

    def forward_single(self, x: Tensor) -> Tuple[Optional[Tensor], ...]:
        heatmap, wh, offset = super().forward_single(x)
        shape_feat = None
        if self.shape_head is not None:
            shape_feat = self.shape_head[:-1](x)
        return heatmap, wh, offset, shape_feat

    def local_shape_at(self, feats: Tensor) -> Tensor:
        """Local Shape logits (..., S*S) of gathered features (..., C): the
        head's last 1x1 conv as a linear map, equal to the dense map
        ``shape_head(x)`` at those cells."""
        return conv1x1_at(self.shape_head[-1], feats)

    def get_targets(self, gt_bboxes: List[Tensor], gt_labels: List[Tensor],
                    feat_shape: tuple, img_shape: tuple) -> Tuple[dict, int]:
        """CenterNet targets (as CenterNetHead) plus each object's center.

        Returns:
            tuple[dict, int]: mmdet's ``center_heatmap_target``,
            ``wh_target``, ``offset_target``, ``wh_offset_target_weight`` and
            ``center_inds``: per image a (num_gts,) long index ``y * W + x``
            of each object's center cell; and the number of peaks.
        """
        bs, _, feat_h, feat_w = feat_shape
        ratio_w = feat_w / img_shape[1]
        ratio_h = feat_h / img_shape[0]
        heatmap = gt_bboxes[-1].new_zeros(
            [bs, self.num_classes, feat_h, feat_w])
        wh_target = gt_bboxes[-1].new_zeros([bs, 2, feat_h, feat_w])
        offset_target = gt_bboxes[-1].new_zeros([bs, 2, feat_h, feat_w])
        weight = gt_bboxes[-1].new_zeros([bs, 2, feat_h, feat_w])
        center_inds = []
        for b, (boxes, labels) in enumerate(zip(gt_bboxes, gt_labels)):
            centers = torch.stack([(boxes[:, 0] + boxes[:, 2]) * ratio_w / 2,
                                   (boxes[:, 1] + boxes[:, 3]) * ratio_h / 2],
                                  dim=1)
            cells = centers.long()
            cells[:, 0].clamp_(0, feat_w - 1)
            cells[:, 1].clamp_(0, feat_h - 1)
            box_w = (boxes[:, 2] - boxes[:, 0]) * ratio_w
            box_h = (boxes[:, 3] - boxes[:, 1]) * ratio_h
            for j in range(len(boxes)):
                radius = gaussian_radius(
                    [float(box_h[j]), float(box_w[j])], self.min_overlap)
                cx, cy = int(cells[j, 0]), int(cells[j, 1])
                gen_gaussian_target(heatmap[b, labels[j]], [cx, cy],
                                    max(0, int(radius)))
            cx, cy = cells[:, 0], cells[:, 1]
            wh_target[b, 0, cy, cx] = box_w
            wh_target[b, 1, cy, cx] = box_h
            offset_target[b, :, cy, cx] = (centers - cells).t()
            weight[b, :, cy, cx] = 1
            center_inds.append(cy * feat_w + cx)
        avg_factor = max(1, heatmap.eq(1).sum())
        return dict(
            center_heatmap_target=heatmap,
            wh_target=wh_target,
            offset_target=offset_target,
            wh_offset_target_weight=weight,
            center_inds=center_inds), avg_factor

    def loss_by_feat(self,
                     center_heatmap_preds: List[Tensor],
                     wh_preds: List[Tensor],
                     offset_preds: List[Tensor],
                     shape_feats: List[Optional[Tensor]],
                     batch_gt_instances: InstanceList,
                     batch_img_metas: List[dict],
                     batch_gt_instances_ignore: OptInstanceList = None
                     ) -> dict:
        """Eqs. 3-5 on every map (averaged over Hourglass stacks, as
        CenterNet does), and the Local Shape vector at every ground-truth
        center for the mask head (see :meth:`get_positive_infos`)."""
        targets, avg_factor = self.get_targets(
            [g.bboxes for g in batch_gt_instances],
            [g.labels for g in batch_gt_instances],
            center_heatmap_preds[-1].shape,
            batch_img_metas[0]['batch_input_shape'])
        num_maps = len(center_heatmap_preds)
        losses = dict(loss_center_heatmap=0, loss_wh=0, loss_offset=0)
        for preds in zip(center_heatmap_preds, wh_preds, offset_preds):
            for name, loss in self._map_losses(*preds, targets,
                                               avg_factor).items():
                losses[name] += loss / num_maps
        self._raw_positive_infos = dict(
            positive_infos=self._center_infos(shape_feats,
                                              targets['center_inds']))
        return losses

    def _map_losses(self, heatmap: Tensor, wh: Tensor, offset: Tensor,
                    targets: dict, avg_factor: int) -> dict:
        """Eqs. 3-5 on one map; wh/offset have 2 channels, so their
        avg_factor is 2 * N, as in CenterNet's RegL1Loss."""
        weight = targets['wh_offset_target_weight']
        return dict(
            loss_center_heatmap=self.loss_center_heatmap(
                heatmap, targets['center_heatmap_target'],
                avg_factor=avg_factor),
            loss_wh=self.loss_wh(
                wh, targets['wh_target'], weight, avg_factor=avg_factor * 2),
            loss_offset=self.loss_offset(
                offset, targets['offset_target'], weight,
                avg_factor=avg_factor * 2))

    def _center_infos(self, shape_feats: List[Optional[Tensor]],
                      center_inds: List[Tensor]) -> InstanceList:
        """Per image, one positive per object with the Local Shape vectors
        (num_gts, num_maps, S*S) at its center cell on every map."""
        shapes = None
        if shape_feats[0] is not None:
            img_inds = torch.cat([
                torch.full_like(inds, b) for b, inds in enumerate(center_inds)
            ])
            flat_inds = torch.cat(center_inds)
            vectors = [
                self.local_shape_at(f.flatten(2)[img_inds, :, flat_inds])
                for f in shape_feats
            ]
            shapes = torch.stack(vectors, dim=1).split(
                [len(inds) for inds in center_inds])
        positive_infos = []
        for b, inds in enumerate(center_inds):
            info = InstanceData()
            info.pos_assigned_gt_inds = torch.arange(
                len(inds), device=inds.device)
            if shapes is not None:
                info.shape_preds = shapes[b]
            positive_infos.append(info)
        return positive_infos

    def get_positive_infos(self) -> InstanceList:
        """Per image, one positive per ground-truth object: its index
        ``pos_assigned_gt_inds`` and ``shape_preds`` (num_gts, num_maps,
        S*S), the Local Shape vectors at its center."""
        return self._raw_positive_infos['positive_infos']

    def predict_by_feat(self,
                        center_heatmap_preds: List[Tensor],
                        wh_preds: List[Tensor],
                        offset_preds: List[Tensor],
                        shape_feats: List[Optional[Tensor]],
                        batch_img_metas: Optional[List[dict]] = None,
                        rescale: bool = False,
                        with_nms: bool = False) -> InstanceList:
        """Top-k heatmap peaks of the last map (3x3 max-pool, no NMS).

        Returns:
            list[InstanceData]: ``bboxes`` (k, 4) in the network input frame
            (the mask head removes the ``border`` and rescales both boxes and
            masks; with ``rescale=True`` this head does it for boxes), and
            ``scores``, ``labels``, ``shape_preds`` (k, S*S).
        """
        heatmap = center_heatmap_preds[-1]
        feat_h, feat_w = heatmap.shape[2:]
        inp_h, inp_w = batch_img_metas[0]['batch_input_shape']
        # contiguous: mmdet's top-k views the map as (N, C*H*W), which a
        # channels-last map (ChannelsLastHook) does not allow
        heatmap = get_local_maximum(
            heatmap,
            kernel=self.test_cfg['local_maximum_kernel']).contiguous()
        k = min(self.test_cfg['topk'], heatmap[0].numel())
        scores, inds, labels, ys, xs = get_topk_from_heatmap(heatmap, k=k)
        wh = transpose_and_gather_feat(wh_preds[-1], inds)
        offset = transpose_and_gather_feat(offset_preds[-1], inds)
        bboxes = decode_boxes(torch.stack([xs, ys], dim=-1).float(), wh,
                              offset, (inp_w / feat_w, inp_h / feat_h))
        shapes = None
        if shape_feats[-1] is not None:
            shapes = self.local_shape_at(
                transpose_and_gather_feat(shape_feats[-1], inds))

        results_list = []
        for b, meta in enumerate(batch_img_metas):
            results = InstanceData()
            results.bboxes = bboxes[b]
            results.scores = scores[b]
            results.labels = labels[b]
            if shapes is not None:
                results.shape_preds = shapes[b]
            results = results[results.scores > self.test_cfg['score_thr']] \
                if self.test_cfg['score_thr'] > 0 else results
            if rescale:
                results.bboxes = rescale_boxes_to_image(results.bboxes, meta)
            results_list.append(results)
        return results_list

