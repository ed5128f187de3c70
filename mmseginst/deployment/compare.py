"""Compare the detections of two runs (PyTorch and ONNX Runtime)."""
import torch
from mmengine.structures import InstanceData


def mask_ious(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU of paired bool masks (N, H, W) -> (N, ); two empty masks
    count as identical (1)."""
    a, b = a.flatten(1).bool(), b.flatten(1).bool()
    inter = (a & b).sum(1).float()
    union = (a | b).sum(1).float()
    return torch.where(union > 0, inter / union.clamp(min=1),
                       torch.ones_like(union))


def box_rel_diff(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``max |a - b| / max(|a|, 1)`` over the 4 coordinates of every pair
    of boxes: (N, 4) x (M, 4) -> (N, M)."""
    diff = (a[:, None].float() - b[None].float()).abs()
    return (diff / a[:, None].float().abs().clamp(min=1)).amax(-1)


def match_detections(ref: InstanceData, test: InstanceData,
                     score_tol: float = 1e-4) -> torch.Tensor:
    """For each detection of ``ref``, the index of its counterpart in
    ``test``: the same label, a score within ``score_tol`` and the closest
    box, taken greedily in ``ref``'s order. Detections whose scores differ
    by less than float noise can swap ranks between two runtimes (ties of
    top-k or sort); matching keeps such swaps from reading as different
    detections. A detection without any counterpart gets its own index."""
    cost = box_rel_diff(ref.bboxes, test.bboxes)
    close = ((ref.scores[:, None] - test.scores[None]).abs() <= score_tol) \
        & (ref.labels[:, None] == test.labels[None])
    cost = torch.where(close, cost, torch.full_like(cost, float('inf')))
    order = torch.empty(len(ref), dtype=torch.long)
    free = torch.ones(len(test), dtype=torch.bool)
    for i in range(len(ref)):
        row = torch.where(free, cost[i], torch.full_like(cost[i],
                                                         float('inf')))
        j = int(row.argmin())
        if not torch.isfinite(row[j]):
            j = i if free[i] else int(free.nonzero()[0])
        order[i] = j
        free[j] = False
    return order


def compare_instances(ref: InstanceData, test: InstanceData) -> dict:
    """Detection-by-detection comparison after :func:`match_detections`.

    Detections of score exactly 0 (CenterMask-Point's top-k fills up with
    non-peak cells when an image has fewer than k peaks) are tied, so
    which of them a top-k returns is arbitrary in any runtime: they are
    counted (``zero_score``, per run) but not compared.

    Returns:
        dict: ``num_ref``, ``num_test``, ``same_labels`` (bool),
        ``max_box_rel_diff`` (|a - b| / max(|a|, 1)), ``max_score_diff``,
        ``min_mask_iou`` (1.0 when there is no detection), ``reordered``
        (detections whose rank differs), and ``max_mask_score_diff`` when
        the results carry ``mask_scores``.
    """
    out = dict(num_ref=len(ref), num_test=len(test), same_labels=False,
               max_box_rel_diff=float('inf'), max_score_diff=float('inf'),
               min_mask_iou=0.0, reordered=0,
               zero_score=(int((ref.scores == 0).sum()),
                           int((test.scores == 0).sum())))
    ref, test = ref[ref.scores != 0], test[test.scores != 0]
    if len(ref) != len(test):
        return out
    if len(ref) == 0:
        return dict(out, same_labels=True, max_box_rel_diff=0.0,
                    max_score_diff=0.0, min_mask_iou=1.0)
    order = match_detections(ref, test)
    test = test[order]
    rel = box_rel_diff(ref.bboxes, test.bboxes).diagonal()
    out.update(
        same_labels=bool((ref.labels == test.labels).all()),
        max_box_rel_diff=float(rel.max()),
        max_score_diff=float((ref.scores - test.scores).abs().max()),
        min_mask_iou=float(mask_ious(ref.masks, test.masks).min()),
        reordered=int((order != torch.arange(len(order))).sum()))
    if 'mask_scores' in ref:
        out['max_mask_score_diff'] = float(
            (ref.mask_scores - test.mask_scores).abs().max())
    return out
