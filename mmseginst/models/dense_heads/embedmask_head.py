"""EmbedMask box head: FCOS plus a proposal embedding and margin per location.

EmbedMask (Ying et al., arXiv 1912.01954) predicts, on the box tower of an
FCOS head, an embedding ``e`` and a margin ``sigma`` for every location; a
detection's mask is the set of pixels whose embeddings lie within its margin
(see :mod:`mmseginst.models.layers.embedding_coupling`). This head adds:

* ``conv_embed``: 3x3 conv on the box tower to the D embedding channels. With
  the current (2021) version the first two channels are "spatial": the pixel
  head, which owns the shared learnable coordinate scale, adds
  ``scale * (x, y) / 100`` of the location to them;
* ``conv_margin``: ``sigma = exp(conv(.))``, either from the box-tower feature
  divided by 32 (current: 3x3 conv, one margin per dimension) or from the
  detached predicted (l, t, r, b) in pixels divided by 800 (arXiv v1: 1x1
  conv, one scalar margin). Its bias starts at ``log(ln 2 / prior_margin^2)``
  so that ``p = 0.5`` at distance ``prior_margin`` (2);
* ``sample_in_mask``: FCOS positives must also lie inside the ground-truth
  mask (official ``SAMPLE_IN_MASK``; it costs some box AP, issue #5);
* proposal sampling for the mask loss (:meth:`get_positive_infos`): the
  positive location whose predicted box has the highest IoU with its ground
  truth (current), or all positives with IoU > 0.5, else the best ones
  (arXiv v1; the pixel head averages them and adds the smooth loss).

Embeddings and margins reach the pixel head through FCOS's assignment
(training) and NMS (test) as per-location vectors
(:class:`~mmseginst.models.utils.LocationVectorsMixin`, over mmdet's CondInst
box head).
"""
import math
from typing import List, Optional, Tuple

import torch
from mmcv.cnn import Scale
from mmdet.models.dense_heads import CondInstBboxHead, FCOSHead
from mmdet.structures.bbox import bbox_overlaps
from mmdet.utils import InstanceList
from mmengine.structures import InstanceData
from torch import Tensor, nn

from ...registry import MODELS
from ..utils import LocationVectorsMixin

INF = 1e8


@MODELS.register_module()
class EmbedMaskHead(LocationVectorsMixin, CondInstBboxHead):
    """FCOS head with EmbedMask's proposal embedding and margin.

    Args:
        embed_dims (int): D, channels of the embeddings (16 current, 32 v1).
        margin_channels (int, optional): channels of the margin: D (current)
            or 1 (v1). Defaults to ``embed_dims``.
        margin_source (str): 'feature' (current) or 'box' (v1).
        feature_to_margin_scale (float): divisor of the box-tower feature
            fed to the margin conv (32).
        box_to_margin_scale (float): divisor of the (l, t, r, b) pixels fed
            to the margin conv (800).
        detach_box_to_margin (bool): block the margin's gradient into the
            box branch (official ``BOX_TO_MARGIN_BLOCK``).
        prior_margin (float): distance at which ``p = 0.5`` at init (2).
        proposal_sampling (str): 'max_iou' (current) or 'iou_thr' (v1).
        pos_iou_thr (float): IoU threshold of 'iou_thr' sampling (0.5).
        sample_in_mask (bool): positives must lie inside the GT mask.
        *args, **kwargs: :class:`mmdet.models.dense_heads.FCOSHead`.

    Forward outputs per level, for (B, C, H, W) inputs: cls (B, K, H, W),
    bbox (B, 4, H, W), centerness (B, 1, H, W), embeddings (B, D, H, W)
    without coordinates, margins (B, Dm, H, W), all > 0.
    """

    def __init__(self,
                 *args,
                 embed_dims: int = 16,
                 margin_channels: Optional[int] = None,
                 margin_source: str = 'feature',
                 feature_to_margin_scale: float = 32.,
                 box_to_margin_scale: float = 800.,
                 detach_box_to_margin: bool = True,
                 prior_margin: float = 2.0,
                 proposal_sampling: str = 'max_iou',
                 pos_iou_thr: float = 0.5,
                 sample_in_mask: bool = True,
                 **kwargs) -> None:
        if margin_source not in ('feature', 'box'):
            raise ValueError("margin_source must be 'feature' or 'box', got "
                             f'{margin_source!r}')
        if proposal_sampling not in ('max_iou', 'iou_thr'):
            raise ValueError("proposal_sampling must be 'max_iou' or "
                             f"'iou_thr', got {proposal_sampling!r}")
        if prior_margin <= 0:
            raise ValueError(f'prior_margin must be > 0, got {prior_margin}')
        self.embed_dims = embed_dims
        self.margin_channels = margin_channels or embed_dims
        if self.margin_channels not in (1, embed_dims):
            raise ValueError(f'margin_channels must be 1 or embed_dims '
                             f'({embed_dims}), got {margin_channels}')
        self.margin_source = margin_source
        self.feature_to_margin_scale = feature_to_margin_scale
        self.box_to_margin_scale = box_to_margin_scale
        self.detach_box_to_margin = detach_box_to_margin
        self.prior_margin = prior_margin
        self.proposal_sampling = proposal_sampling
        self.pos_iou_thr = pos_iou_thr
        self.sample_in_mask = sample_in_mask
        self.vector_channels = dict(
            embeds=embed_dims, margins=self.margin_channels)
        super().__init__(
            *args, num_params=embed_dims + self.margin_channels, **kwargs)

    def _init_layers(self) -> None:
        super()._init_layers()
        self.conv_embed = nn.Conv2d(
            self.feat_channels, self.embed_dims, 3, padding=1)
        if self.margin_source == 'feature':
            self.conv_margin = nn.Conv2d(
                self.feat_channels, self.margin_channels, 3, padding=1)
        else:
            self.conv_margin = nn.Conv2d(4, self.margin_channels, 1)

    def init_weights(self) -> None:
        super().init_weights()
        # exp(bias) * prior_margin^2 = ln 2: p = 0.5 at distance prior_margin
        nn.init.constant_(self.conv_margin.bias,
                          math.log(math.log(2) / self.prior_margin**2))

    def forward_single(self, x: Tensor, scale: Scale,
                       stride: int) -> Tuple[Tensor, ...]:
        """One level: FCOS outputs plus embeddings and margins."""
        cls_score, bbox_pred, cls_feat, reg_feat = \
            super(FCOSHead, self).forward_single(x)
        centerness = self.conv_centerness(
            reg_feat if self.centerness_on_reg else cls_feat)
        bbox_pred = scale(bbox_pred).float()
        if self.norm_on_bbox:
            bbox_pred = bbox_pred.clamp(min=0)
            box_pixels = bbox_pred * stride
            if not self.training:
                bbox_pred = box_pixels
        else:
            bbox_pred = box_pixels = bbox_pred.exp()
        embeds = self.conv_embed(reg_feat)
        if self.margin_source == 'feature':
            margin_in = reg_feat / self.feature_to_margin_scale
        else:
            margin_in = box_pixels / self.box_to_margin_scale
            if self.detach_box_to_margin:
                margin_in = margin_in.detach()
        margins = self.conv_margin(margin_in).exp()
        return cls_score, bbox_pred, centerness, embeds, margins

    # ------------------------------------------------------------- training
    def _get_targets_single(self, gt_instances: InstanceData, points: Tensor,
                            regress_ranges: Tensor,
                            num_points_per_lvl: List[int]
                            ) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        """FCOS assignment (center sampling, regress ranges, smallest box
        wins) with the extra in-mask condition.

        Returns:
            tuple[Tensor]: labels (P,), box targets (P, 4), and as CondInst
            the indices of the positives (num_pos,) and of their ground
            truths (num_pos,).
        """
        num_points, num_gts = points.size(0), len(gt_instances)
        gt_bboxes, gt_labels = gt_instances.bboxes, gt_instances.labels
        if num_gts == 0:
            no_pos = gt_labels.new_zeros((0, ), dtype=torch.long)
            return (gt_labels.new_full((num_points, ), self.num_classes),
                    gt_bboxes.new_zeros((num_points, 4)), no_pos, no_pos)
        xs, ys = points[:, :1], points[:, 1:]
        # (P, G, 4) distances to the left, top, right and bottom sides
        bbox_targets = torch.stack(
            (xs - gt_bboxes[:, 0], ys - gt_bboxes[:, 1],
             gt_bboxes[:, 2] - xs, gt_bboxes[:, 3] - ys), -1)
        if self.center_sampling:
            radius = torch.cat([
                points.new_full((n, 1), stride * self.center_sample_radius)
                for n, stride in zip(num_points_per_lvl, self.strides)
            ])
            cx = (gt_bboxes[:, 0] + gt_bboxes[:, 2]) / 2
            cy = (gt_bboxes[:, 1] + gt_bboxes[:, 3]) / 2
            inside = (xs > torch.maximum(cx - radius, gt_bboxes[:, 0])) & \
                (xs < torch.minimum(cx + radius, gt_bboxes[:, 2])) & \
                (ys > torch.maximum(cy - radius, gt_bboxes[:, 1])) & \
                (ys < torch.minimum(cy + radius, gt_bboxes[:, 3]))
        else:
            inside = bbox_targets.min(-1)[0] > 0
        max_dist = bbox_targets.max(-1)[0]
        candidate = inside & (max_dist >= regress_ranges[:, :1]) & \
            (max_dist <= regress_ranges[:, 1:])
        if self.sample_in_mask:
            candidate &= self._points_in_masks(gt_instances, points)
        areas = ((gt_bboxes[:, 2] - gt_bboxes[:, 0]) *
                 (gt_bboxes[:, 3] - gt_bboxes[:, 1]))[None].expand_as(max_dist)
        areas = torch.where(candidate, areas, areas.new_tensor(INF))
        _, gt_inds = areas.min(dim=1)  # the smallest candidate box wins
        positive = candidate.any(dim=1)
        labels = torch.where(positive, gt_labels[gt_inds], self.num_classes)
        pos_inds = torch.nonzero(positive).squeeze(1)
        return (labels, bbox_targets[torch.arange(num_points), gt_inds],
                pos_inds, gt_inds[pos_inds])

    @staticmethod
    def _points_in_masks(gt_instances: InstanceData, points: Tensor) -> Tensor:
        """(P, G) whether each location lies inside each GT mask."""
        if 'masks' not in gt_instances:
            raise ValueError('EmbedMaskHead(sample_in_mask=True) needs gt '
                             'masks: load them with LoadAnnotations('
                             'with_mask=True) or set sample_in_mask=False')
        masks = gt_instances.masks
        if hasattr(masks, 'to_tensor'):
            masks = masks.to_tensor(dtype=torch.bool, device=points.device)
        h, w = masks.shape[-2:]
        px, py = points[:, 0].long(), points[:, 1].long()
        valid = (px >= 0) & (px < w) & (py >= 0) & (py < h)
        hit = masks.bool()[:, py.clamp(0, h - 1), px.clamp(0, w - 1)]
        return (hit & valid).t()

    def get_positive_infos(self) -> InstanceList:
        """Proposals that feed the mask loss, per image.

        Returns:
            list[InstanceData]: per image, S sampled locations with
            ``embeds`` (S, D), ``margins`` (S, Dm), ``points`` (S, 2) and
            ``gt_inds`` (S,) (index of their ground truth).
        """
        gts = self._raw_positive_infos['batch_gt_instances']
        return [
            self._sample_proposals(positives, gt_instances)
            for positives, gt_instances in zip(super().get_positive_infos(),
                                               gts)
        ]

    def _sample_proposals(self, positives: InstanceData,
                          gt_instances: InstanceData) -> InstanceData:
        """The positives of one image chosen by the IoU of their predicted
        box with their ground truth (see :meth:`_select_proposals`)."""
        dist = positives.bbox_preds.detach()
        if self.norm_on_bbox:
            dist = dist * positives.strides[:, None]
        boxes = self.bbox_coder.decode(positives.points, dist)
        gt_inds = positives.pos_assigned_gt_inds
        ious = bbox_overlaps(
            boxes, gt_instances.bboxes[gt_inds], is_aligned=True)
        keep = self._select_proposals(ious, gt_inds, len(gt_instances))
        return InstanceData(
            embeds=positives.embeds[keep],
            margins=positives.margins[keep],
            points=positives.points[keep],
            gt_inds=gt_inds[keep])

    def _select_proposals(self, ious: Tensor, gt_inds: Tensor,
                          num_gts: int) -> Tensor:
        """Bool mask over positives: the proposals used for each GT."""
        if ious.numel() == 0:
            return ious.new_zeros((0, ), dtype=torch.bool)
        max_iou = ious.new_full((num_gts, ), -1.).scatter_reduce(
            0, gt_inds, ious, 'amax')
        is_best = ious >= max_iou[gt_inds]
        if self.proposal_sampling == 'iou_thr':
            good = (max_iou > self.pos_iou_thr)[gt_inds]
            return torch.where(good, ious > self.pos_iou_thr, is_best)
        # one proposal per GT: the first location that reaches its best IoU
        index = torch.arange(len(ious), device=ious.device)
        first = index.new_full((num_gts, ), len(ious)).scatter_reduce(
            0, gt_inds[is_best], index[is_best], 'amin')
        keep = torch.zeros_like(is_best)
        keep[first[first < len(ious)]] = True
        return keep

    # ------------------------------------------------------------ inference
    def predict_by_feat(self, *args, **kwargs) -> InstanceList:
        """FCOS decoding and NMS; every detection keeps its ``embeds``,
        ``margins`` and ``points`` (location) for the pixel head."""
        results_list = super().predict_by_feat(*args, **kwargs)
        for results in results_list:
            del results.strides
        return results_list
