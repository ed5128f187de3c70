"""Compare the detections of two runs (PyTorch and ONNX Runtime).

Two runtimes compute the same network with float results that differ in
the last bits. Where a discrete decision compares two nearly equal numbers,
that noise can flip it: two overlapping boxes of one class whose scores
differ by less than the noise (NMS keeps one or the other), two
neighbouring heatmap cells of equal value (both or one is a 3x3 peak), the
last place of a top-k. The box that wins then suppresses other boxes in one
run and not in the other, and the extra detections push others below the
``max_per_img`` cut. :func:`compare_instances` pairs the detections that
are the same in both runs and checks that every other one is such a
near-tie effect, so that the comparison is strict where the runs are
comparable and says how many detections a flip touched.
"""
from typing import Tuple

import torch
from mmdet.structures.bbox import bbox_overlaps
from mmengine.structures import InstanceData
from torch import Tensor


def mask_ious(a: Tensor, b: Tensor) -> Tensor:
    """IoU of paired bool masks (N, H, W) -> (N, ); two empty masks
    count as identical (1)."""
    a, b = a.flatten(1).bool(), b.flatten(1).bool()
    inter = (a & b).sum(1).float()
    union = (a | b).sum(1).float()
    return torch.where(union > 0, inter / union.clamp(min=1),
                       torch.ones_like(union))


def box_rel_diff(a: Tensor, b: Tensor) -> Tensor:
    """``max |a - b| / max(|a|, 1)`` over the 4 coordinates of every pair
    of boxes: (N, 4) x (M, 4) -> (N, M)."""
    diff = (a[:, None].float() - b[None].float()).abs()
    return (diff / a[:, None].float().abs().clamp(min=1)).amax(-1)


def match_detections(ref: InstanceData, test: InstanceData,
                     score_tol: float = 1e-4,
                     box_tol: float = 1e-3) -> Tensor:
    """For each detection of ``ref``, the index of its counterpart in
    ``test`` (-1 if none): the same label, a score within ``score_tol``
    and a box within ``box_tol`` (relative), the closest box, taken greedily
    in ``ref``'s order. Two detections whose scores differ by float noise
    may swap ranks between the runtimes; matching by value, not rank, keeps
    such swaps from reading as different detections."""
    cost = box_rel_diff(ref.bboxes, test.bboxes)
    close = ((ref.scores[:, None] - test.scores[None]).abs() <= score_tol) \
        & (ref.labels[:, None] == test.labels[None]) & (cost <= box_tol)
    cost = torch.where(close, cost, torch.full_like(cost, float('inf')))
    order = torch.full((len(ref), ), -1, dtype=torch.long)
    for i in range(len(ref)):
        j = int(cost[i].argmin()) if len(test) else 0
        if len(test) and torch.isfinite(cost[i, j]):
            order[i] = j
            cost[:, j] = float('inf')
    return order


def _overlap_same_label(a: InstanceData, b: InstanceData,
                        margin: float = 2.0) -> Tensor:
    """(N, M) bool: same label and boxes that overlap (IoU > 0) once each
    is grown by ``margin`` pixels on every side, so that degenerate boxes
    (a few pixels or less, as untrained size heads give) on neighbouring
    cells of a 3x3 peak plateau count as overlapping."""
    grow = a.bboxes.new_tensor([-margin, -margin, margin, margin])
    return (a.labels[:, None] == b.labels[None]) & (bbox_overlaps(
        a.bboxes.float() + grow, b.bboxes.float() + grow) > 0)


def explain_unmatched(runs: Tuple[InstanceData, InstanceData],
                      matched: Tuple[Tensor, Tensor],
                      score_tol: float = 1e-4) -> Tuple[Tensor, Tensor]:
    """Which unmatched detections are near-tie effects (module docstring).

    A detection without a counterpart is explained when

    * *tie*: another detection of either run has its label, a score within
      ``score_tol`` and an overlapping box (the pair NMS or the peak test
      decided by float noise), or
    * *suppressed*: it overlaps an explained unmatched detection of the
      other run with its label and a higher score (that box suppresses it
      there, not here), or
    * *cut*: its score is at or below the lowest score of the other run,
      which kept at least as many detections (the other run's extra
      detections pushed it past the count cut).

    Args:
        runs (tuple[InstanceData, InstanceData]): The two runs.
        matched (tuple[Tensor, Tensor]): (N, ), (M, ) bool, detections of
            each run that have a counterpart.

    Returns:
        tuple[Tensor, Tensor]: (N, ), (M, ) bool, unmatched and explained.
    """
    explained = []
    for this, other in (runs, runs[::-1]):
        both = InstanceData(bboxes=torch.cat([this.bboxes, other.bboxes]),
                            labels=torch.cat([this.labels, other.labels]),
                            scores=torch.cat([this.scores, other.scores]))
        tied = _overlap_same_label(this, both) & (
            (this.scores[:, None] - both.scores[None]).abs() <= score_tol)
        tied[:, :len(this)] &= ~torch.eye(len(this), dtype=torch.bool)
        # the other run is at its count cut only if it kept as many
        at_cut = len(other) > 0 and len(other) >= len(this)
        cut = this.scores <= other.scores.min() + score_tol if at_cut \
            else torch.zeros_like(this.scores, dtype=torch.bool)
        explained.append(tied.any(1) | cut)
    unmatched = [~m for m in matched]
    explained = [e & u for e, u in zip(explained, unmatched)]
    grew = True
    while grew:  # suppression cascades through explained detections
        grew = False
        for k in (0, 1):
            this, other = runs[k], runs[1 - k]
            higher = other.scores[None] > this.scores[:, None]
            links = _overlap_same_label(this, other) & higher & \
                explained[1 - k][None]
            new = unmatched[k] & ~explained[k] & links.any(1)
            if new.any():
                explained[k] = explained[k] | new
                grew = True
    return explained[0], explained[1]


def compare_instances(ref: InstanceData,
                      test: InstanceData,
                      score_tol: float = 1e-4,
                      box_tol: float = 1e-3,
                      mask_iou_thr: float = 0.99,
                      pixel_tol: int = 2,
                      max_tie_share: float = 0.1) -> dict:
    """Detection-by-detection comparison of two runs.

    Detections of score exactly 0 (CenterMask-Point's top-k fills up with
    non-peak cells when an image has fewer than k peaks) are tied, so
    which of them a top-k returns is arbitrary in any runtime: they are
    counted (``zero_score``, per run) but not compared. The others are
    paired by :func:`match_detections`; those without a counterpart must
    be near-tie effects (:func:`explain_unmatched`). A paired mask agrees
    when its IoU is at least ``mask_iou_thr`` or at most ``pixel_tol``
    pixels differ (a pixel whose probability lies within float noise of
    the threshold flips; in a 27-pixel mask one such pixel is IoU 0.963).
    The runs are ``equivalent`` when no detection is unexplained, every
    paired mask agrees and near-tie effects touch at most
    ``max_tie_share`` of each run's detections (a wrong box everywhere
    would otherwise read as ties of equal scores).

    Returns:
        dict: ``num_ref``, ``num_test``, ``zero_score``, ``matched``,
        ``tie_affected`` (per run: unmatched near-tie effects),
        ``unexplained`` (unmatched detections that are not), over the
        matched pairs ``max_box_rel_diff`` (|a - b| / max(|a|, 1)),
        ``max_score_diff``, ``min_mask_iou`` (1.0 when there is none),
        ``max_pixels_off`` (differing pixels of masks below
        ``mask_iou_thr``), ``masks_off`` (masks that do not agree),
        ``reordered`` (pairs whose ranks differ), ``max_mask_score_diff``
        (relative, as boxes) when the results carry ``mask_scores``; and
        ``equivalent``.
    """
    zero = (int((ref.scores == 0).sum()), int((test.scores == 0).sum()))
    ref, test = ref[ref.scores != 0], test[test.scores != 0]
    order = match_detections(ref, test, score_tol, box_tol)
    has = order >= 0
    test_has = torch.zeros(len(test), dtype=torch.bool)
    test_has[order[has]] = True
    ref_ok, test_ok = explain_unmatched((ref, test), (has, test_has),
                                        score_tol)
    out = dict(num_ref=len(ref) + zero[0], num_test=len(test) + zero[1],
               zero_score=zero, matched=int(has.sum()),
               tie_affected=(int(ref_ok.sum()), int(test_ok.sum())),
               unexplained=int((~has & ~ref_ok).sum() +
                               (~test_has & ~test_ok).sum()),
               max_box_rel_diff=0.0, max_score_diff=0.0, min_mask_iou=1.0,
               max_pixels_off=0, masks_off=0,
               reordered=int((order[has] != has.nonzero()[:, 0]).sum()))
    if has.any():
        a, b = ref[has], test[order[has]]
        ious = mask_ious(a.masks, b.masks)
        off = (a.masks.flatten(1).bool() ^ b.masks.flatten(1).bool()).sum(1)
        low = ious < mask_iou_thr
        out.update(
            max_box_rel_diff=float(
                box_rel_diff(a.bboxes, b.bboxes).diagonal().max()),
            max_score_diff=float((a.scores - b.scores).abs().max()),
            min_mask_iou=float(ious.min()),
            max_pixels_off=int(off[low].max()) if low.any() else 0,
            masks_off=int((low & (off > pixel_tol)).sum()))
        if 'mask_scores' in a:  # relative: predicted IoUs may exceed 1
            out['max_mask_score_diff'] = float(
                ((a.mask_scores - b.mask_scores).abs() /
                 a.mask_scores.abs().clamp(min=1)).max())
    few_ties = all(n <= max_tie_share * max(len(run), 1)
                   for n, run in zip(out['tie_affected'], (ref, test)))
    out['equivalent'] = out['unexplained'] == 0 and \
        out['masks_off'] == 0 and few_ties
    return out
