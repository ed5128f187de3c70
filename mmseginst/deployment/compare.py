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


def compare_instances(ref: InstanceData, test: InstanceData) -> dict:
    """Detection-by-detection comparison (both sorted best first).

    Returns:
        dict: ``num_ref``, ``num_test``, ``same_labels`` (bool),
        ``max_box_rel_diff`` (|a - b| / max(|a|, 1)), ``max_score_diff``,
        ``min_mask_iou`` (1.0 when there is no detection) over the
        detections of both.
    """
    out = dict(num_ref=len(ref), num_test=len(test), same_labels=False,
               max_box_rel_diff=float('inf'), max_score_diff=float('inf'),
               min_mask_iou=0.0)
    if len(ref) != len(test):
        return out
    if len(ref) == 0:
        return dict(out, same_labels=True, max_box_rel_diff=0.0,
                    max_score_diff=0.0, min_mask_iou=1.0)
    ref_boxes, test_boxes = ref.bboxes.float(), test.bboxes.float()
    rel = (ref_boxes - test_boxes).abs() / ref_boxes.abs().clamp(min=1)
    out.update(
        same_labels=bool((ref.labels == test.labels).all()),
        max_box_rel_diff=float(rel.max()),
        max_score_diff=float((ref.scores - test.scores).abs().max()),
        min_mask_iou=float(mask_ious(ref.masks, test.masks).min()))
    if 'mask_scores' in ref:
        out['max_mask_score_diff'] = float(
            (ref.mask_scores - test.mask_scores).abs().max())
    return out
