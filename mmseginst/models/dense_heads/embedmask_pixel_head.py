"""EmbedMask pixel-embedding branch and mask coupling (Ying et al.).

The branch takes P3 (stride 8) through its own tower of 4 x (3x3 conv, GN,
ReLU), predicts D embedding channels with a 3x3 conv and upsamples them x2
(bilinear), so masks live on a stride-4 grid. In the current (2021)
version the first two channels are "spatial": ``scale * (x, y) / 100`` of
the pixel (the P3 location, before upsampling) is added to them, with one
learnable ``scale`` shared with the proposal embeddings of
:class:`EmbedMaskHead` (:class:`ScaledCoordinates`; this head couples the
two sides, so it holds the scale and adds the same term to the proposals'
first two channels, at their locations).

Training (``loss_by_feat``): for every ground truth with sampled proposals,
the mean proposal embedding and margin give ``p`` on the stride-4 grid and a
Lovász hinge on ``log p - log(1 - p)`` is taken against the mask, over the
whole image (current) or the box padded by 10% + 1 cell (arXiv v1); as in
the official ``embed_mask/loss.py``, losses are averaged over the ground
truths of an image that received at least one proposal, summed over the
images and divided by the batch size. arXiv v1 adds the smooth loss between
the proposals of an instance.

Inference (``predict_by_feat``): each detection uses its own embedding and
margin; its log-probability is evaluated only inside its box padded by 2
cells (-10 outside), resampled to the output size and thresholded at
``log(mask_thr)`` (0.53 current, 0.5 v1), as the official CUDA kernel and
``coco_eval.py`` do.
"""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmdet.models.dense_heads.base_mask_head import BaseMaskHead
from mmdet.structures.bbox import scale_boxes
from mmdet.utils import ConfigType, InstanceList, OptConfigType
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from torch import Tensor, nn

from ...registry import MODELS
from ..layers.embedding_coupling import (box_bounded_masks,
                                         boxes_to_grid_regions,
                                         embedding_mask_logits,
                                         embedding_sq_distance,
                                         official_mask_shapes)
from ..layers.scaled_coordinates import ScaledCoordinates
from ..utils import group_mean


@MODELS.register_module()
class EmbedMaskPixelHead(BaseMaskHead):
    """Pixel embeddings of EmbedMask and their coupling with proposals.

    Args:
        in_channels (int): channels of P3.
        feat_channels (int): channels of the tower.
        stacked_convs (int): convs of the tower (4).
        embed_dims (int): D (16 current, 32 v1).
        num_spatial_dims (int): embedding channels that carry coordinates
            (2 current, 0 v1).
        coord_divisor (float): coordinates are divided by it (100).
        in_stride (int): stride of the input level (8, P3).
        upsample_ratio (int): bilinear upsampling of the embeddings (2).
        conv_bias (bool): bias in the tower convs (the official towers have
            one despite GN).
        norm_cfg (dict): norm of the tower.
        loss_mask (dict): Lovász hinge on the mask logits (weight 0.5).
        loss_smooth (dict, optional): smooth loss (v1: weight 0.1).
        loss_box_padding (float, optional): None: pixels of the whole image
            enter the mask loss (current); a ratio: only those of the GT box
            padded by that ratio + 1 cell (v1: 0.1).
        train_cfg, test_cfg (dict): ``test_cfg.mask_thr`` (probability
            threshold) and ``test_cfg.mask_box_padding`` (cells, 2).

    Forward output: (pixel embeddings (B, D, H/4, W/4), ).
    """

    def __init__(self,
                 in_channels: int = 256,
                 feat_channels: int = 256,
                 stacked_convs: int = 4,
                 embed_dims: int = 16,
                 num_spatial_dims: int = 2,
                 coord_divisor: float = 100.,
                 in_stride: int = 8,
                 upsample_ratio: int = 2,
                 conv_bias: bool = True,
                 norm_cfg: ConfigType = dict(
                     type='GN', num_groups=32, requires_grad=True),
                 loss_mask: ConfigType = dict(
                     type='LovaszHingeLoss', loss_weight=0.5),
                 loss_smooth: OptConfigType = None,
                 loss_box_padding: Optional[float] = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 init_cfg: OptConfigType = dict(
                     type='Normal', layer='Conv2d', std=0.01)) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_spatial_dims not in (0, 2):
            raise ValueError(f'num_spatial_dims must be 0 or 2, got '
                             f'{num_spatial_dims}')
        if embed_dims < max(num_spatial_dims, 1):
            raise ValueError(f'embed_dims={embed_dims} is too small')
        self.embed_dims = embed_dims
        self.num_spatial_dims = num_spatial_dims
        self.coord_divisor = coord_divisor
        self.in_stride = in_stride
        self.upsample_ratio = upsample_ratio
        self.mask_stride = in_stride / upsample_ratio
        self.loss_box_padding = loss_box_padding
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg or ConfigDict()
        self.mask_convs = nn.ModuleList([
            ConvModule(
                in_channels if i == 0 else feat_channels,
                feat_channels,
                3,
                padding=1,
                norm_cfg=norm_cfg,
                bias=conv_bias) for i in range(stacked_convs)
        ])
        self.conv_embed = nn.Conv2d(feat_channels, embed_dims, 3, padding=1)
        if num_spatial_dims:
            self.position_scale = ScaledCoordinates(coord_divisor)
        self.loss_mask = MODELS.build(loss_mask)
        self.loss_smooth = MODELS.build(loss_smooth) if loss_smooth else None

    def add_coordinates(self, embeds: Tensor, points: Tensor) -> Tensor:
        """(N, D) embeddings at (N, 2) pixel locations (x, y) -> the same
        with ``scale * (x, y) / coord_divisor`` added to the spatial
        channels."""
        if not self.num_spatial_dims:
            return embeds
        return self.position_scale(embeds, points)

    def forward(self, x: Tuple[Tensor], positive_infos=None
                ) -> Tuple[Tensor]:
        """P3 (B, C, H, W) -> pixel embeddings (B, D, H*r, W*r)."""
        feat = x[0]
        for conv in self.mask_convs:
            feat = conv(feat)
        embeds = self.conv_embed(feat)
        if self.num_spatial_dims:
            b, _, h, w = embeds.shape
            ys, xs = torch.meshgrid(
                (torch.arange(h, device=feat.device) + 0.5) * self.in_stride,
                (torch.arange(w, device=feat.device) + 0.5) * self.in_stride,
                indexing='ij')
            points = torch.stack((xs, ys), -1).reshape(-1, 2)
            flat = embeds.permute(0, 2, 3, 1).reshape(b * h * w, -1)
            flat = self.add_coordinates(flat, points.repeat(b, 1))
            embeds = flat.reshape(b, h, w, -1).permute(0, 3, 1, 2)
        if self.upsample_ratio != 1:
            embeds = F.interpolate(
                embeds,
                scale_factor=self.upsample_ratio,
                mode='bilinear',
                align_corners=False)
        return (embeds, )

    # ------------------------------------------------------------- training
    def _mask_targets(self, masks, grid_shape: Tuple[int, int],
                      device) -> Tensor:
        """GT masks -> (G, H, W) {0, 1} on the stride-4 grid: padded to the
        grid's extent, bilinearly resized, > 0 (as the official code)."""
        h, w = grid_shape
        if hasattr(masks, 'to_tensor'):
            masks = masks.to_tensor(dtype=torch.float32, device=device)
        masks = masks.float()
        full_h = round(h * self.mask_stride)
        full_w = round(w * self.mask_stride)
        masks = masks[:, :full_h, :full_w]
        masks = F.pad(masks, (0, full_w - masks.shape[-1], 0,
                              full_h - masks.shape[-2]))
        small = F.interpolate(
            masks[None], size=(h, w), mode='bilinear', align_corners=False)
        return (small[0] > 0).float()

    def _box_regions(self, bboxes: Tensor, grid_shape: Tuple[int,
                                                            int]) -> Tensor:
        """(G, H, W) bool: grid cells of each box padded by
        ``loss_box_padding`` x its size + 1 cell (official crop_by_box)."""
        h, w = grid_shape
        boxes = bboxes / self.mask_stride
        pad = (boxes[:, 2:] - boxes[:, :2]) * self.loss_box_padding + 1
        lo = (boxes[:, :2] - pad).clamp(min=0)
        hi = torch.minimum(boxes[:, 2:] + pad, boxes.new_tensor([w - 1,
                                                                 h - 1]))
        cols = torch.arange(w, device=boxes.device)
        rows = torch.arange(h, device=boxes.device)
        in_x = (cols >= lo[:, :1]) & (cols < hi[:, :1])
        in_y = (rows >= lo[:, 1:]) & (rows < hi[:, 1:])
        return in_y[:, :, None] & in_x[:, None, :]

    def loss_by_feat(self, pixel_embeds: Tensor,
                     batch_gt_instances: InstanceList,
                     batch_img_metas: List[dict],
                     positive_infos: InstanceList, **kwargs
                     ) -> Dict[str, Tensor]:
        """Mask (and smooth) losses.

        Args:
            pixel_embeds (Tensor): (B, D, H, W) stride-4 embeddings.
            batch_gt_instances (list[InstanceData]): with ``masks`` and
                ``bboxes``.
            batch_img_metas (list[dict]): meta of each image.
            positive_infos (list[InstanceData]): sampled proposals from
                :meth:`EmbedMaskHead.get_positive_infos`.
        """
        if positive_infos is None:
            raise ValueError('EmbedMaskPixelHead needs positive_infos from '
                             'the box head (EmbedMaskHead)')
        num_imgs = len(batch_gt_instances)
        # keeps every branch in the graph when nothing is sampled
        zero = pixel_embeds.sum() * 0 + sum(
            info.embeds.sum() * 0 + info.margins.sum() * 0
            for info in positive_infos)
        terms, loss_smooth = [], zero
        for img, (gt, info) in enumerate(zip(batch_gt_instances,
                                             positive_infos)):
            if len(gt) == 0 or len(info) == 0:
                continue
            embeds = self.add_coordinates(info.embeds, info.points)
            terms.append(self._image_mask_terms(pixel_embeds[img], gt, info,
                                                embeds, num_imgs))
            if self.loss_smooth is not None:
                loss_smooth = loss_smooth + self.loss_smooth(
                    embeds,
                    info.margins,
                    info.gt_inds,
                    len(gt),
                    weight=embeds.new_full((len(gt), ),
                                           1. / (len(gt) * num_imgs)),
                    reduction_override='sum')
        losses = dict(loss_mask=zero + self._mask_loss(terms))
        if self.loss_smooth is not None:
            losses['loss_smooth'] = loss_smooth
        return losses

    def _image_mask_terms(self, pixel_embeds: Tensor, gt: InstanceData,
                          info: InstanceData, embeds: Tensor,
                          num_imgs: int) -> Tuple[Tensor, ...]:
        """Logits, targets, valid regions (or None) and weights of the
        objects of one image that received proposals.

        Args:
            pixel_embeds (Tensor): (D, H, W) pixel embeddings of the image.
            gt (InstanceData): its ground truth (``masks``, ``bboxes``).
            info (InstanceData): its proposals (``margins``, ``gt_inds``).
            embeds (Tensor): (P, D) proposal embeddings with coordinates.
            num_imgs (int): images in the batch.

        Returns:
            tuple[Tensor]: (G', H, W) logits and targets, (G', H, W) valid
            regions or None, (G',) weights; G' objects with proposals.
        """
        grid_shape, num_gts = pixel_embeds.shape[-2:], len(gt)
        mean_embeds, counts = group_mean(embeds, info.gt_inds, num_gts)
        mean_margins, _ = group_mean(info.margins, info.gt_inds, num_gts)
        has = counts > 0
        dist = embedding_sq_distance(pixel_embeds, mean_embeds[has],
                                     mean_margins[has])
        targets = self._mask_targets(gt.masks, grid_shape, dist.device)[has]
        valid = None
        if self.loss_box_padding is not None:
            valid = self._box_regions(gt.bboxes[has], grid_shape)
        # official: mean over the objects of an image that have proposals,
        # summed over images, divided by the number of images
        num_valid = int(has.sum())
        weights = dist.new_full((num_valid, ), 1. / (num_valid * num_imgs))
        return embedding_mask_logits(dist), targets, valid, weights

    def _mask_loss(self, terms: List[Tuple[Tensor, ...]]) -> Tensor:
        """The Lovasz mask loss over the objects of all images (a plain 0
        when no image has an object with proposals)."""
        if not terms:
            return 0.
        logits, targets, valids, weights = zip(*terms)
        return self.loss_mask(
            torch.cat(logits),
            torch.cat(targets),
            valid=None if valids[0] is None else torch.cat(valids),
            weight=torch.cat(weights),
            reduction_override='sum')

    # ------------------------------------------------------------ inference
    def predict_by_feat(self,
                        pixel_embeds: Tensor,
                        batch_img_metas: List[dict],
                        rescale: bool = False,
                        results_list: InstanceList = None,
                        **kwargs) -> InstanceList:
        """Masks of the detections of :class:`EmbedMaskHead`.

        Args:
            pixel_embeds (Tensor): (B, D, H, W) stride-4 embeddings.
            batch_img_metas (list[dict]): meta of each image.
            rescale (bool): masks and boxes at ``ori_shape`` if True, else at
                ``img_shape``.
            results_list (list[InstanceData]): detections with ``bboxes``
                (input pixels), ``embeds``, ``margins`` and ``points``.

        Returns:
            list[InstanceData]: ``scores``, ``labels``, ``bboxes`` and
            ``masks`` (N, h, w) bool.
        """
        mask_thr = self.test_cfg.get('mask_thr', 0.5)
        padding = self.test_cfg.get('mask_box_padding', 2)
        grid_shape = pixel_embeds.shape[-2:]
        for img, (results, meta) in enumerate(zip(results_list,
                                                  batch_img_metas)):
            out_shape, resized_shape = official_mask_shapes(
                grid_shape, self.mask_stride, meta, rescale)
            regions = boxes_to_grid_regions(results.bboxes, self.mask_stride,
                                            padding, grid_shape)
            results.masks = box_bounded_masks(
                pixel_embeds[img],
                self.add_coordinates(results.embeds, results.points),
                results.margins, regions, out_shape, resized_shape, mask_thr)
            if rescale:
                w_scale, h_scale = meta['scale_factor'][:2]
                results.bboxes = scale_boxes(results.bboxes,
                                             (1 / w_scale, 1 / h_scale))
            for key in ('embeds', 'margins', 'points'):
                del results[key]
        return results_list
