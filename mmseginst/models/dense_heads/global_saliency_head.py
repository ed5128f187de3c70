"""Global Saliency head and Mask Assembly of CenterMask (Wang et al., CVPR
2020, Secs. 3.2-3.4).

The Saliency head (3x3 conv + ReLU + 1x1 conv) predicts a map over the whole
image: one channel (class-agnostic) or C channels (class-specific). Each
instance's mask is assembled from that map cropped to its box and the Local
Shape vector its box head predicted (:mod:`..layers.mask_assembly`); the
loss is Eq. 2 on the product. The Local Shape vectors come from the box head
through ``positive_infos`` (training: ground-truth boxes) or the prediction
results (test: predicted boxes), so one mask head serves both the point
(CenterNet-style) and the FCOS variants.
"""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.models.dense_heads.base_mask_head import BaseMaskHead
from mmdet.utils import InstanceList, OptInstanceList
from mmengine.model import bias_init_with_prob
from mmengine.structures import InstanceData
from torch import Tensor

from ...registry import MODELS
from ..layers.mask_assembly import (assemble_masks, assembled_probs,
                                    boxes_to_cells, masks_on_grid,
                                    paste_to_grid)
from ..utils import rescale_boxes_to_image

SALIENCY_TYPES = ('class_specific', 'class_agnostic', None)


@MODELS.register_module()
class GlobalSaliencyHead(BaseMaskHead):
    """Global Saliency map, Mask Assembly, mask loss and mask decoding.

    Input: the tuple of feature maps of the neck; ``in_indices`` picks the
    maps the saliency is predicted on (one per Local Shape map the box head
    supervises: the stride-4 map of DLA/ResNet, both Hourglass stacks, P3 of
    the FCOS variant). Output: saliency logits (B, 1 or C, H, W) per map.

    Args:
        num_classes (int): C.
        in_channels (int): channels of the input maps.
        feat_channels (int): width of the 3x3 conv. Defaults to 256.
        in_indices (Sequence[int]): maps to use; the last is used at test
            time. Defaults to (0, ).
        saliency_type (str, optional): 'class_specific' (default; +2.4 AP
            over class-agnostic in the paper), 'class_agnostic', or None for
            the shape-only ablation (M = sigmoid(L)).
        use_local_shape (bool): False for the saliency-only ablation
            (M = sigmoid(G)); then the box head needs ``shape_size=None``.
        loss_mask (dict): Eq. 2. Defaults to AssembledMaskLoss, weight 1.
        loss_saliency (dict, optional): direct supervision of the saliency
            map with the union of the instance masks (per class when class
            specific), the paper's +0.5 AP ablation, e.g.
            ``dict(type='CrossEntropyLoss', use_sigmoid=True)``. Default None
            (Eq. 6 has no such term).
        max_masks_to_train (int): at most this many positives per batch get
            a mask loss (random subset); -1 keeps all. Only the FCOS variant,
            with many positives per object, needs it.
        test_cfg (dict): ``mask_thr`` (default 0.4, the reimplementations'
            value; the paper's is [unverified]).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 feat_channels: int = 256,
                 in_indices: Sequence[int] = (0, ),
                 saliency_type: Optional[str] = 'class_specific',
                 use_local_shape: bool = True,
                 loss_mask: dict = dict(
                     type='AssembledMaskLoss', loss_weight=1.0),
                 loss_saliency: Optional[dict] = None,
                 max_masks_to_train: int = -1,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if saliency_type not in SALIENCY_TYPES:
            raise ValueError(f'saliency_type must be one of {SALIENCY_TYPES},'
                             f' got {saliency_type!r}')
        if saliency_type is None and not use_local_shape:
            raise ValueError('saliency_type=None and use_local_shape=False '
                             'leave nothing to assemble a mask from')
        if saliency_type is None and loss_saliency is not None:
            raise ValueError('loss_saliency needs a saliency map, but '
                             'saliency_type is None')
        self.num_classes = num_classes
        self.in_indices = tuple(in_indices)
        self.saliency_type = saliency_type
        self.use_local_shape = use_local_shape
        self.max_masks_to_train = max_masks_to_train
        self.saliency_head = None
        if saliency_type is not None:
            out = num_classes if saliency_type == 'class_specific' else 1
            self.saliency_head = nn.Sequential(
                nn.Conv2d(in_channels, feat_channels, 3, padding=1),
                nn.ReLU(inplace=True), nn.Conv2d(feat_channels, out, 1))
        self.loss_mask = MODELS.build(loss_mask)
        self.loss_saliency = MODELS.build(loss_saliency) \
            if loss_saliency is not None else None
        self.test_cfg = dict(mask_thr=0.4)
        self.test_cfg.update(test_cfg or {})

    def init_weights(self) -> None:
        super().init_weights()
        if self.saliency_head is not None:
            # [our choice] start the saliency near the foreground fraction
            # of an image, like the heatmap's prior (0.1)
            nn.init.constant_(self.saliency_head[-1].bias,
                              bias_init_with_prob(0.1))

    def forward(self, x: Tuple[Tensor], positive_infos=None) -> tuple:
        """Returns the list of saliency logits per used map (None entries in
        the shape-only ablation) and the list of their (H, W)."""
        feats = [x[i] for i in self.in_indices]
        sizes = [tuple(f.shape[-2:]) for f in feats]
        if self.saliency_head is None:
            return [None] * len(feats), sizes
        return [self.saliency_head(f) for f in feats], sizes

    # ------------------------------------------------------------- helpers
    def _shape_vectors(self, infos: InstanceList, level: int,
                       num_levels: int) -> Optional[Tensor]:
        if not self.use_local_shape:
            return None
        if any('shape_preds' not in info for info in infos):
            raise ValueError('GlobalSaliencyHead(use_local_shape=True) needs '
                             'Local Shape vectors; the box head has none '
                             '(set its shape_size)')
        vectors = torch.cat([info.shape_preds for info in infos])
        if vectors.dim() == 2:  # test time: one vector per detection
            return vectors
        if vectors.shape[1] != num_levels:
            raise ValueError(
                f'the box head supervises {vectors.shape[1]} Local Shape '
                f'maps but in_indices={self.in_indices} gives {num_levels} '
                'saliency maps')
        return vectors[:, level]

    def _saliency_index(self, saliency: Optional[Tensor], img_inds: Tensor,
                        labels: Tensor) -> Tuple[Optional[Tensor], Tensor]:
        """Flatten (B, C', H, W) to (B*C', H, W) and pick each instance's
        map: its class's channel when class-specific."""
        if saliency is None:
            return None, img_inds
        channels = saliency.shape[1]
        inds = img_inds * channels
        if self.saliency_type == 'class_specific':
            inds = inds + labels
        return saliency.flatten(0, 1), inds

    # ---------------------------------------------------------------- loss
    def loss_by_feat(self, saliency_preds: List[Optional[Tensor]],
                     feat_sizes: List[Tuple[int, int]],
                     batch_gt_instances: InstanceList,
                     batch_img_metas: List[dict],
                     positive_infos: OptInstanceList = None,
                     **kwargs) -> dict:
        """Eq. 2 with the ground-truth boxes of the positives on every map
        (averaged over maps), and the optional direct saliency loss."""
        if positive_infos is None:
            raise ValueError('GlobalSaliencyHead needs positive_infos from '
                             'its box head')
        device = batch_gt_instances[0].labels.device
        img_inds, gt_inds, keep = self._sample_positives(
            positive_infos, batch_gt_instances)
        gt_masks = [
            g.masks.to_tensor(torch.float32, device)
            for g in batch_gt_instances
        ]
        losses = dict(loss_mask=0)
        if self.loss_saliency is not None:
            losses['loss_saliency'] = 0
        num_levels = len(saliency_preds)
        input_shape = batch_img_metas[0]['batch_input_shape']
        for level, saliency in enumerate(saliency_preds):
            # ground-truth masks on the saliency grid (soft, area-averaged)
            small = [
                masks_on_grid(m, input_shape, feat_sizes[level])
                for m in gt_masks
            ]
            if self.loss_saliency is not None:
                losses['loss_saliency'] += self.loss_saliency(
                    saliency, self._saliency_target(
                        small, batch_gt_instances, saliency)) / num_levels
            shapes = self._shape_vectors(positive_infos, level, num_levels)
            if shapes is not None and keep is not None:
                shapes = shapes[keep]
            losses['loss_mask'] += self._assembled_mask_loss(
                saliency, shapes, torch.cat(small), batch_gt_instances,
                img_inds, gt_inds, input_shape) / num_levels
        return losses

    def _sample_positives(self, positive_infos: InstanceList,
                          batch_gt_instances: InstanceList) -> tuple:
        """Image and batch-wide ground-truth index (P,) of each positive,
        at most ``max_masks_to_train`` of them (random subset, ``keep``;
        None when all are kept)."""
        device = batch_gt_instances[0].labels.device
        num_gts = [len(g) for g in batch_gt_instances]
        gt_offsets = torch.tensor([0] + num_gts[:-1], device=device).cumsum(0)
        img_inds = torch.cat([
            torch.full((len(p), ), i, device=device, dtype=torch.long)
            for i, p in enumerate(positive_infos)
        ])
        gt_inds = torch.cat([
            p.pos_assigned_gt_inds + gt_offsets[i]
            for i, p in enumerate(positive_infos)
        ]).long()
        keep = None
        if 0 <= self.max_masks_to_train < len(gt_inds):
            keep = torch.randperm(len(gt_inds), device=device)
            keep = keep[:self.max_masks_to_train]
            img_inds, gt_inds = img_inds[keep], gt_inds[keep]
        return img_inds, gt_inds, keep

    def _assembled_mask_loss(self, saliency: Optional[Tensor],
                             shapes: Optional[Tensor], small_masks: Tensor,
                             batch_gt_instances: InstanceList,
                             img_inds: Tensor, gt_inds: Tensor,
                             input_shape: Tuple[int, int]) -> Tensor:
        """Eq. 2 on one map: the masks of the positives (P,) assembled on
        their ground-truth boxes against the ground-truth masks
        ``small_masks`` (G, H, W) resized to the map."""
        if len(gt_inds) == 0:
            return sum(
                x.sum() * 0 for x in (shapes, saliency) if x is not None)
        feat_h, feat_w = small_masks.shape[-2:]
        all_boxes = torch.cat([g.bboxes for g in batch_gt_instances])
        all_labels = torch.cat([g.labels for g in batch_gt_instances])
        scale = all_boxes.new_tensor(
            [feat_w / input_shape[1], feat_h / input_shape[0]] * 2)
        cells = boxes_to_cells(all_boxes[gt_inds] * scale)
        sal, sal_inds = self._saliency_index(saliency, img_inds,
                                             all_labels[gt_inds])
        shape_logits, sal_logits, valid, ys, xs = assemble_masks(
            cells, (feat_h, feat_w), shapes, sal, sal_inds)
        target = small_masks[gt_inds[:, None, None],
                             ys.clamp(0, feat_h - 1)[:, :, None],
                             xs.clamp(0, feat_w - 1)[:, None, :]]
        return self.loss_mask(shape_logits, sal_logits, target, valid)

    def _saliency_target(self, small_masks: List[Tensor],
                         batch_gt_instances: InstanceList,
                         saliency: Tensor) -> Tensor:
        """Union of the instance masks: (B, C, H, W) per class when class
        specific, (B, 1, H, W) otherwise."""
        target = saliency.new_zeros(saliency.shape)
        for b, (masks, gts) in enumerate(zip(small_masks, batch_gt_instances)):
            if len(masks) == 0:
                continue
            if self.saliency_type == 'class_specific':
                channels = gts.labels
            else:
                channels = torch.zeros_like(gts.labels)
            index = channels[:, None, None].expand_as(masks)
            target[b].scatter_reduce_(0, index, masks, 'amax')
        return target

    # ------------------------------------------------------------- predict
    @staticmethod
    def _content_region(meta: dict) -> Tuple[int, int, int, int]:
        """(top, bottom, left, right) of the image inside the network input:
        the top-left corner is shifted by mmdet's CenterNet test padding
        (``border``: top, bottom, left, right) when present."""
        img_h, img_w = meta['img_shape'][:2]
        if 'border' not in meta:
            return 0, img_h, 0, img_w
        top, left = int(meta['border'][0]), int(meta['border'][2])
        scale_w, scale_h = meta.get('scale_factor', (1.0, 1.0))
        ori_h, ori_w = meta['ori_shape'][:2]
        bottom = min(top + int(round(ori_h * scale_h)), img_h)
        right = min(left + int(round(ori_w * scale_w)), img_w)
        return top, max(bottom, top + 1), left, max(right, left + 1)

    def predict_by_feat(self, saliency_preds: List[Optional[Tensor]],
                        feat_sizes: List[Tuple[int, int]],
                        batch_img_metas: List[dict],
                        rescale: bool = True,
                        results_list: OptInstanceList = None,
                        **kwargs) -> InstanceList:
        """Assemble each detection's mask with its predicted box, paste it
        on the image and threshold at ``mask_thr``.

        Returns:
            list[InstanceData]: ``scores``, ``labels``, ``bboxes`` and
            ``masks`` (k, H, W) bool at ``ori_shape`` (``rescale=True``) or
            at the input image shape.
        """
        if results_list is None:
            raise ValueError('GlobalSaliencyHead needs the detections of '
                             'its box head')
        outputs = []
        for b, (results, meta) in enumerate(zip(results_list,
                                                batch_img_metas)):
            out = InstanceData(metainfo=meta)
            out.scores = results.scores
            out.labels = results.labels
            top, bottom, left, right = self._content_region(meta)
            out_h, out_w = meta['ori_shape'][:2] if rescale else \
                (bottom - top, right - left)
            if len(results) == 0:
                out.bboxes = results.bboxes.new_zeros((0, 4))
                out.masks = torch.zeros((0, out_h, out_w), dtype=torch.bool,
                                        device=results.bboxes.device)
                outputs.append(out)
                continue
            probs = self._mask_probs(saliency_preds, feat_sizes, results, b,
                                     meta['batch_input_shape'])
            probs = probs[:, :, top:bottom, left:right]
            if probs.shape[-2:] != (out_h, out_w):
                probs = F.interpolate(probs, (out_h, out_w),
                                      mode='bilinear', align_corners=False)
            out.masks = probs[:, 0] > self.test_cfg['mask_thr']
            if rescale:
                out.bboxes = rescale_boxes_to_image(results.bboxes, meta)
            else:
                out.bboxes = results.bboxes - results.bboxes.new_tensor(
                    [left, top, left, top])
            outputs.append(out)
        return outputs

    def _mask_probs(self, saliency_preds: List[Optional[Tensor]],
                    feat_sizes: List[Tuple[int, int]], results: InstanceData,
                    img: int, input_shape: Tuple[int, int]) -> Tensor:
        """(k, 1, H, W) mask probabilities of the detections of image
        ``img``, assembled on the last map and resized to the network
        input (H, W)."""
        feat_h, feat_w = feat_sizes[-1]
        inp_h, inp_w = input_shape
        scale = results.bboxes.new_tensor(
            [feat_w / inp_w, feat_h / inp_h] * 2)
        cells = boxes_to_cells(results.bboxes * scale)
        sal, sal_inds = self._saliency_index(
            saliency_preds[-1], torch.full_like(results.labels, img),
            results.labels)
        shapes = self._shape_vectors([results], len(saliency_preds) - 1, 1)
        shape_logits, sal_logits, valid, ys, xs = assemble_masks(
            cells, (feat_h, feat_w), shapes, sal, sal_inds)
        grid = paste_to_grid(
            assembled_probs(shape_logits, sal_logits), valid, ys, xs,
            (feat_h, feat_w))
        return F.interpolate(grid[:, None], (inp_h, inp_w),
                             mode='bilinear', align_corners=False)
