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

from mmseginst.registry import MODELS
from ..layers.mask_assembly import (assemble_masks, assembled_probs,
                                    boxes_to_cells, paste_to_grid)
from .centermask_point_head import rescale_boxes_to_image

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
        """Eq. 2 with ground-truth boxes (or the ``mask_boxes`` of the
        positives, when the box head gives them), and the optional direct
        saliency loss."""
        if positive_infos is None:
            raise ValueError('GlobalSaliencyHead needs positive_infos from '
                             'its box head')
        device = batch_gt_instances[0].labels.device
        inp_h, inp_w = batch_img_metas[0]['batch_input_shape']
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
        all_boxes = torch.cat([g.bboxes for g in batch_gt_instances])
        # boxes the box head chose to assemble with (one per positive and
        # map), else the ground-truth boxes of the positives
        own_boxes = None
        if all('mask_boxes' in p for p in positive_infos):
            own_boxes = torch.cat([p.mask_boxes for p in positive_infos])
            if keep is not None:
                own_boxes = own_boxes[keep]
        all_labels = torch.cat([g.labels for g in batch_gt_instances])
        gt_masks = [
            g.masks.to_tensor(torch.float32, device)
            for g in batch_gt_instances
        ]

        losses = dict(loss_mask=0)
        if self.loss_saliency is not None:
            losses['loss_saliency'] = 0
        num_levels = len(saliency_preds)
        for level, saliency in enumerate(saliency_preds):
            feat_h, feat_w = feat_sizes[level]
            small = [
                masks_on_grid(m, (inp_h, inp_w), (feat_h, feat_w))
                for m in gt_masks
            ]
            if self.loss_saliency is not None:
                losses['loss_saliency'] += self.loss_saliency(
                    saliency, self._saliency_target(
                        small, batch_gt_instances, saliency)) / num_levels
            shapes = self._shape_vectors(positive_infos, level, num_levels)
            if len(gt_inds) == 0:
                losses['loss_mask'] += sum(
                    x.sum() * 0 for x in (shapes, saliency) if x is not None)
                continue
            if shapes is not None and keep is not None:
                shapes = shapes[keep]
            scale = all_boxes.new_tensor(
                [feat_w / inp_w, feat_h / inp_h] * 2)
            boxes = all_boxes[gt_inds] if own_boxes is None \
                else own_boxes[:, level]
            cells = boxes_to_cells(boxes * scale)
            sal, sal_inds = self._saliency_index(saliency, img_inds,
                                                 all_labels[gt_inds])
            shape_logits, sal_logits, valid, ys, xs = assemble_masks(
                cells, (feat_h, feat_w), shapes, sal, sal_inds)
            target = torch.cat(small)[gt_inds[:, None, None],
                                      ys.clamp(0, feat_h - 1)[:, :, None],
                                      xs.clamp(0, feat_w - 1)[:, None, :]]
            losses['loss_mask'] += self.loss_mask(
                shape_logits, sal_logits, target, valid) / num_levels
        return losses

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
        saliency = saliency_preds[-1]
        level = len(saliency_preds) - 1
        feat_h, feat_w = feat_sizes[-1]
        inp_h, inp_w = batch_img_metas[0]['batch_input_shape']
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
            scale = results.bboxes.new_tensor(
                [feat_w / inp_w, feat_h / inp_h] * 2)
            cells = boxes_to_cells(results.bboxes * scale)
            img_inds = torch.full_like(results.labels, b)
            sal, sal_inds = self._saliency_index(saliency, img_inds,
                                                 results.labels)
            shapes = self._shape_vectors([results], level, 1)
            shape_logits, sal_logits, valid, ys, xs = assemble_masks(
                cells, (feat_h, feat_w), shapes, sal, sal_inds)
            grid = paste_to_grid(
                assembled_probs(shape_logits, sal_logits), valid, ys, xs,
                (feat_h, feat_w))
            # feature grid -> network input -> image content -> original
            masks = F.interpolate(grid[:, None], (inp_h, inp_w),
                                  mode='bilinear', align_corners=False)
            masks = masks[:, :, top:bottom, left:right]
            if masks.shape[-2:] != (out_h, out_w):
                masks = F.interpolate(masks, (out_h, out_w),
                                      mode='bilinear', align_corners=False)
            out.masks = masks[:, 0] > self.test_cfg['mask_thr']
            if rescale:
                out.bboxes = rescale_boxes_to_image(results.bboxes, meta)
            else:
                out.bboxes = results.bboxes - results.bboxes.new_tensor(
                    [left, top, left, top])
            outputs.append(out)
        return outputs


def masks_on_grid(masks: Tensor, input_shape: Tuple[int, int],
                  grid_size: Tuple[int, int]) -> Tensor:
    """Ground-truth masks as soft targets on a feature grid.

    The masks cover the image at its ``img_shape``, the top-left part of the
    padded batch input (mmdet pads gt masks only with ``pad_mask=True``):
    they are zero-padded to ``input_shape`` first, so that each grid cell
    averages the input pixels it covers, whatever the image's aspect ratio
    and padding.

    Args:
        masks (Tensor): (N, h, w) float masks, h, w <= the input's.
        input_shape (tuple[int]): (H, W) of the padded network input.
        grid_size (tuple[int]): (Hf, Wf) of the grid covering that input.

    Returns:
        Tensor: (N, Hf, Wf), the area average of each mask over each cell.
    """
    if not len(masks):
        return masks.new_zeros((0, ) + tuple(grid_size))
    pad_h = input_shape[0] - masks.shape[-2]
    pad_w = input_shape[1] - masks.shape[-1]
    if pad_h < 0 or pad_w < 0:
        raise ValueError(f'gt masks of size {tuple(masks.shape[-2:])} are '
                         f'larger than the network input {input_shape}')
    masks = F.pad(masks, (0, pad_w, 0, pad_h))
    return F.interpolate(masks[None], grid_size, mode='area')[0]

