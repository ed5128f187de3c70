"""Traceable decoding of mmdet's heads: the tensor-only counterparts of
``RPNHead``, ``BBoxHead`` + ``multiclass_nms`` and the dense (FCOS-family)
``filter_scores_and_topk`` + ``_bbox_post_process``, for the export
wrappers.

They keep the candidates and the order of mmdet's code: the score
threshold and the per-level ``nms_pre`` top-k are one masked top-k (scores
at or below the threshold are set to -1 and dropped after the top-k), so the
graph has no shape-dependent branch; box clipping reads the image shape
from a tensor (the exported graph's ``img_shape`` input).
"""
from typing import List, Tuple

import torch
from torch import Tensor

from .ops import batched_nms_indices, topk_at_most

_DROPPED = -1.0


def nms_iou(nms_cfg: dict, where: str) -> float:
    """IoU threshold of an mmdet ``nms`` config; other kinds (soft-NMS)
    have no ONNX operator."""
    kind = nms_cfg.get('type', 'nms')
    if kind != 'nms':
        raise ValueError(f'{where}: nms type {kind!r} has no ONNX export '
                         "(only 'nms', ONNX NonMaxSuppression)")
    return float(nms_cfg['iou_threshold'])


def clip_boxes(boxes: Tensor, img_shape: Tensor) -> Tensor:
    """Clamp (N, 4) boxes to ``[0, w] x [0, h]``, ``img_shape = (h, w)``
    a float tensor, as mmdet's coders do with ``max_shape``."""
    x = torch.minimum(boxes[:, 0::2].clamp(min=0), img_shape[1])
    y = torch.minimum(boxes[:, 1::2].clamp(min=0), img_shape[0])
    return torch.stack([x[:, 0], y[:, 0], x[:, 1], y[:, 1]], dim=1)


def masked_topk(scores: Tensor, score_thr: float,
                k: int) -> Tuple[Tensor, Tensor]:
    """The ``k`` best entries of ``scores`` (N, ) among those above
    ``score_thr`` (all of them if fewer), best first.

    Returns:
        tuple[Tensor, Tensor]: their scores and indices into ``scores``.
    """
    if score_thr is not None:
        scores = torch.where(scores > score_thr, scores,
                             scores.new_tensor(_DROPPED))
    if k > 0:
        scores, inds = topk_at_most(scores, k)
    else:
        scores, inds = scores.sort(descending=True)
    if score_thr is None:
        return scores, inds
    kept = (scores > _DROPPED).nonzero().squeeze(1)
    return scores[kept], inds[kept]


def filter_min_size(boxes: Tensor, min_size: float) -> Tensor:
    """Indices of the boxes wider and higher than ``min_size`` (mmdet's
    ``min_bbox_size`` rule; -1 or None keeps all)."""
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    if min_size is None or min_size < 0:
        valid = torch.ones_like(w, dtype=torch.bool)
    else:
        valid = (w > min_size) & (h > min_size)
    return valid.nonzero().squeeze(1)


def rpn_proposals(rpn_head, cls_scores: List[Tensor],
                  bbox_preds: List[Tensor], img_shape: Tensor,
                  cfg: dict) -> Tensor:
    """Proposals (P, 4) of image 0, as ``RPNHead.predict_by_feat``:
    per-level top ``nms_pre``, decode, clip, ``min_bbox_size``, NMS per
    level, top ``max_per_img``."""
    priors = rpn_head.prior_generator.grid_priors(
        [c.shape[-2:] for c in cls_scores],
        dtype=cls_scores[0].dtype,
        device=cls_scores[0].device)
    nms_pre = cfg.get('nms_pre', -1)
    scores, deltas, anchors, levels = [], [], [], []
    for level, (cls, reg, pri) in enumerate(zip(cls_scores, bbox_preds,
                                                priors)):
        reg = reg[0].permute(1, 2, 0).reshape(-1, rpn_head.bbox_coder.
                                              encode_size)
        cls = cls[0].permute(1, 2, 0).reshape(-1, rpn_head.cls_out_channels)
        if not rpn_head.use_sigmoid_cls:
            raise ValueError('RPN with softmax scores has no export here')
        s, inds = masked_topk(cls.sigmoid().reshape(-1), None, nms_pre)
        scores.append(s)
        deltas.append(reg[inds])
        anchors.append(pri[inds])
        levels.append(torch.full_like(inds, level))
    boxes = clip_boxes(
        rpn_head.bbox_coder.decode(torch.cat(anchors), torch.cat(deltas)),
        img_shape)
    scores, levels = torch.cat(scores), torch.cat(levels)
    keep = filter_min_size(boxes, cfg.get('min_bbox_size', -1))
    boxes, scores, levels = boxes[keep], scores[keep], levels[keep]
    keep = batched_nms_indices(boxes, scores, levels,
                               nms_iou(cfg['nms'], 'rpn test_cfg'),
                               len(cls_scores))
    return boxes[keep][:cfg['max_per_img']]


def multiclass_nms(boxes: Tensor, scores: Tensor, score_thr: float,
                   nms_cfg: dict, max_num: int,
                   where: str) -> Tuple[Tensor, Tensor, Tensor]:
    """mmdet's ``multiclass_nms``: (N, K, 4) boxes (or (N, 4) shared) and
    (N, K) scores -> ``boxes`` (M, 4), ``scores`` (M, ), ``labels`` (M, ),
    best first."""
    num, num_classes = scores.shape
    if boxes.dim() == 2:
        boxes = boxes[:, None].expand(num, num_classes, 4)
    labels = torch.arange(num_classes).view(1, -1).expand_as(scores)
    boxes, scores, labels = (boxes.reshape(-1, 4), scores.reshape(-1),
                             labels.reshape(-1))
    valid = (scores > score_thr).nonzero().squeeze(1)
    boxes, scores, labels = boxes[valid], scores[valid], labels[valid]
    keep = batched_nms_indices(boxes, scores, labels,
                               nms_iou(nms_cfg, where), num_classes)
    if max_num > 0:
        keep = keep[:max_num]
    return boxes[keep], scores[keep], labels[keep]


def bbox_head_detections(bbox_head, rois: Tensor, cls_score: Tensor,
                         bbox_pred: Tensor, img_shape: Tensor,
                         cfg: dict) -> Tuple[Tensor, Tensor, Tensor]:
    """Detections of an mmdet ``BBoxHead`` on RoIs (N, 5), as its
    ``predict_by_feat`` with ``rcnn`` test config ``cfg``."""
    if bbox_head.custom_cls_channels:
        raise ValueError(f'{type(bbox_head).__name__} with custom class '
                         'channels has no export here')
    scores = cls_score.softmax(-1)
    num_classes = 1 if bbox_head.reg_class_agnostic else \
        bbox_head.num_classes
    priors = rois[:, 1:].repeat_interleave(num_classes, dim=0)
    boxes = bbox_head.bbox_coder.decode(
        priors, bbox_pred.reshape(-1, bbox_head.bbox_coder.encode_size))
    boxes = clip_boxes(boxes, img_shape).reshape(rois.shape[0], -1, 4)
    if bbox_head.reg_class_agnostic:
        boxes = boxes[:, 0]
    return multiclass_nms(boxes, scores[:, :-1], cfg['score_thr'],
                          cfg['nms'], cfg['max_per_img'], 'rcnn test_cfg')


def flatten_level(t: Tensor) -> Tensor:
    """(1, C, H, W) -> (H*W, C), mmdet's location order."""
    return t[0].permute(1, 2, 0).reshape(-1, t.shape[1])


def dense_nms(boxes: Tensor, scores: Tensor, labels: Tensor,
              num_classes: int, cfg: dict, where: str) -> Tensor:
    """``BaseDenseHead._bbox_post_process`` after scoring: ``min_bbox_size``
    filter, class-wise NMS, ``max_per_img``. Returns the kept indices."""
    keep = filter_min_size(boxes, cfg.get('min_bbox_size', -1))
    inds = batched_nms_indices(boxes[keep], scores[keep], labels[keep],
                               nms_iou(cfg['nms'], where), num_classes)
    return keep[inds][:cfg['max_per_img']]


def fcos_detections(head, cls_scores: List[Tensor], bbox_preds: List[Tensor],
                    centernesses: List[Tensor], extras: dict,
                    img_shape: Tensor, cfg: dict, where: str) -> dict:
    """mmdet's FCOS-family decoding (``filter_scores_and_topk`` on the class
    probabilities, score x centerness, decode, clip, class-wise NMS) that
    also carries per-location maps to the kept detections.

    Args:
        head: The FCOS-family head (its prior generator and box coder).
        cls_scores, bbox_preds, centernesses (list[Tensor]): Per level
            (1, K, H, W), (1, 4, H, W) in pixels, (1, 1, H, W).
        extras (dict[str, list[Tensor]]): Per level (1, C, H, W) maps whose
            vectors the detections keep (embeddings, shape features...).
        img_shape (Tensor): (h, w) to clip the boxes to.
        cfg (dict): ``score_thr``, ``nms_pre``, ``nms``, ``max_per_img``.
        where (str): Names the config in errors.

    Returns:
        dict: ``boxes`` (N, 4), ``scores``, ``labels``, ``points`` (N, 2)
        and each key of ``extras`` (N, C), best first.
    """
    priors = head.prior_generator.grid_priors(
        [c.shape[-2:] for c in cls_scores],
        dtype=bbox_preds[0].dtype,
        device=bbox_preds[0].device)
    num_classes = head.cls_out_channels
    fields = {k: [] for k in ('boxes', 'scores', 'labels', 'points',
                              *extras)}
    for level, (cls, reg, ctr, points) in enumerate(
            zip(cls_scores, bbox_preds, centernesses, priors)):
        scores, inds = masked_topk(
            flatten_level(cls).sigmoid().reshape(-1),
            cfg.get('score_thr', 0), cfg.get('nms_pre', -1))
        loc = torch.div(inds, num_classes, rounding_mode='floor')
        fields['boxes'].append(
            head.bbox_coder.decode(points[loc], flatten_level(reg)[loc]))
        fields['scores'].append(scores *
                                flatten_level(ctr)[loc, 0].sigmoid())
        fields['labels'].append(inds % num_classes)
        fields['points'].append(points[loc])
        for key, maps in extras.items():
            fields[key].append(flatten_level(maps[level])[loc])
    fields = {k: torch.cat(v) for k, v in fields.items()}
    fields['boxes'] = clip_boxes(fields['boxes'], img_shape)
    keep = dense_nms(fields['boxes'], fields['scores'], fields['labels'],
                     num_classes, cfg, where)
    return {k: v[keep] for k, v in fields.items()}
