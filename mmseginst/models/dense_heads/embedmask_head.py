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
"""
import copy
import math
from collections import defaultdict
from typing import Dict, List, Optional, Tuple

import torch
from mmcv.cnn import Scale
from mmdet.models.dense_heads import FCOSHead
from mmdet.models.utils import filter_scores_and_topk, select_single_mlvl
from mmdet.structures.bbox import bbox_overlaps
from mmdet.utils import InstanceList, OptInstanceList
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from torch import Tensor, nn

from mmseginst.registry import MODELS

INF = 1e8


@MODELS.register_module()
class EmbedMaskHead(FCOSHead):
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
        super().__init__(*args, **kwargs)

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
    def loss_by_feat(self,
                     cls_scores: List[Tensor],
                     bbox_preds: List[Tensor],
                     centernesses: List[Tensor],
                     proposal_embeds: List[Tensor],
                     proposal_margins: List[Tensor],
                     batch_gt_instances: InstanceList,
                     batch_img_metas: List[dict],
                     batch_gt_instances_ignore: OptInstanceList = None
                     ) -> Dict[str, Tensor]:
        """FCOS losses; keeps what :meth:`get_positive_infos` needs."""
        losses = super().loss_by_feat(cls_scores, bbox_preds, centernesses,
                                      batch_gt_instances, batch_img_metas,
                                      batch_gt_instances_ignore)
        self._raw_positive_infos = dict(
            bbox_preds=bbox_preds,
            proposal_embeds=proposal_embeds,
            proposal_margins=proposal_margins,
            batch_gt_instances=batch_gt_instances,
            assigned_gt_inds=self._assigned_gt_inds)
        return losses

    def get_targets(self, points: List[Tensor],
                    batch_gt_instances: InstanceList
                    ) -> Tuple[List[Tensor], List[Tensor]]:
        """FCOS targets; the GT index of each location (-1: negative) is
        collected per image in ``self._assigned_gt_inds``."""
        self._assigned_gt_inds = []
        return super().get_targets(points, batch_gt_instances)

    def _get_targets_single(self, gt_instances: InstanceData, points: Tensor,
                            regress_ranges: Tensor,
                            num_points_per_lvl: List[int]
                            ) -> Tuple[Tensor, Tensor]:
        """FCOS assignment (center sampling, regress ranges, smallest box
        wins) with the extra in-mask condition."""
        num_points, num_gts = points.size(0), len(gt_instances)
        gt_bboxes, gt_labels = gt_instances.bboxes, gt_instances.labels
        if num_gts == 0:
            self._assigned_gt_inds.append(gt_labels.new_full((num_points, ),
                                                             -1))
            return (gt_labels.new_full((num_points, ), self.num_classes),
                    gt_bboxes.new_zeros((num_points, 4)))
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
        self._assigned_gt_inds.append(torch.where(positive, gt_inds, -1))
        return labels, bbox_targets[torch.arange(num_points), gt_inds]

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
        raw = self._raw_positive_infos
        bbox_preds = raw['bbox_preds']
        priors = self.prior_generator.grid_priors(
            [b.shape[-2:] for b in bbox_preds],
            dtype=bbox_preds[0].dtype,
            device=bbox_preds[0].device)
        points = torch.cat(priors)
        strides = torch.cat([
            p.new_full((len(p), 1), s) for p, s in zip(priors, self.strides)
        ])

        def flat(mlvl: List[Tensor], img: int) -> Tensor:
            return torch.cat(
                [t[img].permute(1, 2, 0).reshape(-1, t.shape[1])
                 for t in mlvl])

        infos = []
        for img, gt_instances in enumerate(raw['batch_gt_instances']):
            gt_inds = raw['assigned_gt_inds'][img]
            pos = torch.nonzero(gt_inds >= 0).squeeze(1)
            dist = flat(bbox_preds, img)[pos].detach()
            if self.norm_on_bbox:
                dist = dist * strides[pos]
            boxes = self.bbox_coder.decode(points[pos], dist)
            ious = bbox_overlaps(
                boxes, gt_instances.bboxes[gt_inds[pos]], is_aligned=True)
            keep = pos[self._select_proposals(ious, gt_inds[pos],
                                              len(gt_instances))]
            infos.append(
                InstanceData(
                    embeds=flat(raw['proposal_embeds'], img)[keep],
                    margins=flat(raw['proposal_margins'], img)[keep],
                    points=points[keep],
                    gt_inds=gt_inds[keep]))
        return infos

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
    def predict_by_feat(self,
                        cls_scores: List[Tensor],
                        bbox_preds: List[Tensor],
                        score_factors: List[Tensor],
                        proposal_embeds: List[Tensor],
                        proposal_margins: List[Tensor],
                        batch_img_metas: Optional[List[dict]] = None,
                        cfg: Optional[ConfigDict] = None,
                        rescale: bool = False,
                        with_nms: bool = True) -> InstanceList:
        """FCOS decoding and NMS; every detection keeps its ``embeds``,
        ``margins`` and ``points`` (location) for the pixel head."""
        priors = self.prior_generator.grid_priors(
            [c.shape[-2:] for c in cls_scores],
            dtype=bbox_preds[0].dtype,
            device=bbox_preds[0].device)
        results = []
        for img, img_meta in enumerate(batch_img_metas):
            per_level = [
                select_single_mlvl(t, img, detach=True)
                for t in (cls_scores, bbox_preds, score_factors,
                          proposal_embeds, proposal_margins)
            ]
            results.append(
                self._predict_single(*per_level, priors, img_meta, cfg,
                                     rescale, with_nms))
        return results

    def _predict_single(self, cls_scores, bbox_preds, centernesses, embeds,
                        margins, priors, img_meta, cfg, rescale,
                        with_nms) -> InstanceData:
        cfg = copy.deepcopy(self.test_cfg if cfg is None else cfg)
        nms_pre = cfg.get('nms_pre', -1)
        fields = defaultdict(list)
        for level in zip(cls_scores, bbox_preds, centernesses, embeds,
                         margins, priors):
            cls, box, ctr, emb, mar, pts = level
            scores = cls.permute(1, 2, 0).reshape(-1, self.cls_out_channels)
            scores, labels, _, kept = filter_scores_and_topk(
                scores.sigmoid(), cfg.get('score_thr', 0),
                nms_pre if nms_pre > 0 else scores.numel(),
                dict(bbox_preds=box.permute(1, 2, 0).reshape(-1, 4),
                     score_factors=ctr.reshape(-1).sigmoid(),
                     embeds=emb.permute(1, 2, 0).reshape(-1, emb.shape[0]),
                     margins=mar.permute(1, 2, 0).reshape(-1, mar.shape[0]),
                     points=pts))
            kept.update(scores=scores, labels=labels)
            for key, value in kept.items():
                fields[key].append(value)
        fields = {key: torch.cat(value) for key, value in fields.items()}
        bbox_preds = fields.pop('bbox_preds')
        fields['bboxes'] = self.bbox_coder.decode(
            fields['points'], bbox_preds, max_shape=img_meta['img_shape'])
        return self._bbox_post_process(
            InstanceData(**fields), cfg, rescale, with_nms, img_meta)
