"""compare_instances on hand-made runs: detections paired by value, the
near-tie effects of float noise (an NMS pair decided the other way, its
suppressions, the count cut, a 3x3 peak plateau) told apart from genuine
differences, and the mask-pixel tolerance."""
import torch
from mmengine.structures import InstanceData

from mmseginst.deployment.compare import compare_instances


def run(boxes, scores, labels, size=16, masks=None):
    """InstanceData with square masks inside each box (or ``masks``)."""
    boxes = torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4)
    if masks is None:
        masks = torch.zeros(len(boxes), size, size, dtype=torch.bool)
        for m, (x1, y1, x2, y2) in zip(masks, boxes.long().tolist()):
            m[y1:y2, x1:x2] = True
    return InstanceData(bboxes=boxes,
                        scores=torch.tensor(scores, dtype=torch.float32),
                        labels=torch.tensor(labels), masks=masks)


def test_identical_and_swapped_ranks():
    a = run([[0, 0, 4, 4], [6, 6, 10, 10]], [0.5, 0.5 - 1e-6], [0, 1])
    res = compare_instances(a, a)
    assert res['equivalent'] and res['matched'] == 2
    assert res['tie_affected'] == (0, 0) and res['reordered'] == 0
    # ranks swapped by noise: paired by value, not by rank
    b = run([[6, 6, 10, 10], [0, 0, 4, 4]], [0.5, 0.5 - 1e-6], [1, 0])
    res = compare_instances(a, b)
    assert res['equivalent'] and res['matched'] == 2
    assert res['reordered'] == 2


def test_nms_flip_and_its_suppressions_are_near_ties():
    """The EmbedMask case: A and A' (one stride apart, class 0) have scores
    within 1e-8; NMS keeps A in one run and A' in the other. Each survivor
    suppresses boxes that survive in the other run (B in the test run; B'
    and B'' in the reference run), and with a count cut of 5 the test run's
    extra survivor pushes D out."""
    common = [[40, 40, 60, 60], [0, 0, 10, 10]]
    ref = run(common + [[10, 10, 30, 30], [18, 10, 38, 30], [70, 70, 80, 80]],
              [0.9, 0.8, 0.3, 0.2, 0.1], [0, 1, 0, 0, 2], size=96)
    test = run(common + [[14, 10, 34, 30], [6, 10, 26, 30], [10, 14, 30, 34]],
               [0.9, 0.8, 0.3 + 1e-8, 0.25, 0.22], [0, 1, 0, 0, 0],
               size=96)
    res = compare_instances(ref, test, max_tie_share=1.0)
    assert res['matched'] == 2 and res['unexplained'] == 0
    # ref: A (tie), B (suppressed by A'), D (cut); test: A' (tie), B' and
    # B'' (suppressed by A)
    assert res['tie_affected'] == (3, 3) and res['equivalent']
    # three of five detections touched is more than a flip explains
    assert not compare_instances(ref, test)['equivalent']


def test_extra_detection_is_a_difference():
    two = run([[0, 0, 10, 10], [20, 20, 30, 30]], [0.9, 0.5], [0, 0],
              size=64)
    three = run([[0, 0, 10, 10], [20, 20, 30, 30], [50, 50, 60, 60]],
                [0.9, 0.5, 0.7], [0, 0, 1], size=64)
    res = compare_instances(two, three)
    assert res['matched'] == 2
    assert res['unexplained'] == 1 and not res['equivalent']
    # a run with fewer detections is not at a count cut: what it lacks is
    # a difference, however low its score
    res = compare_instances(three, run([[0, 0, 10, 10]], [0.9], [0],
                                       size=64))
    assert res['unexplained'] == 2


def test_peak_plateau_is_a_near_tie():
    """The CenterMask-Point case: two neighbouring cells of equal value
    are both 3x3 peaks in one run and one peak in the other; with top-3
    the extra peak pushes the lowest one out."""
    ref = run([[0, 0, 8, 8], [20, 20, 28, 28], [40, 40, 44, 44]],
              [0.6, 0.4, 0.1], [0, 1, 1], size=64)
    test = run([[0, 0, 8, 8], [2, 0, 10, 8], [20, 20, 28, 28]],
               [0.6, 0.6, 0.4], [0, 0, 1], size=64)
    res = compare_instances(ref, test)
    assert res['matched'] == 2 and res['unexplained'] == 0
    assert res['tie_affected'] == (1, 1)
    # a tie of equal scores but boxes apart is not a plateau
    far = run([[0, 0, 8, 8], [30, 0, 38, 8], [20, 20, 28, 28]],
              [0.6, 0.6, 0.4], [0, 0, 1], size=64)
    assert compare_instances(ref, far)['unexplained'] == 1


def test_wrong_boxes_everywhere_are_not_ties():
    ref = run([[i * 10, 0, i * 10 + 8, 8] for i in range(5)],
              [0.9 - i / 10 for i in range(5)], [0] * 5, size=64)
    shifted = run([[i * 10 + 0.5, 0, i * 10 + 8.5, 8] for i in range(5)],
                  [0.9 - i / 10 for i in range(5)], [0] * 5, size=64)
    res = compare_instances(ref, shifted)
    assert res['matched'] == 0
    assert res['tie_affected'] == (5, 5) and not res['equivalent']


def test_mask_pixel_tolerance():
    """A 27-pixel mask with one pixel flipped has IoU 26/27 = 0.963 and
    agrees (at most 2 pixels differ); three flipped pixels do not."""
    masks = torch.zeros(1, 16, 16, dtype=torch.bool)
    masks[0, 0:3, 0:9] = True  # 27 pixels
    one = masks.clone()
    one[0, 2, 8] = False
    three = masks.clone()
    three[0, 2, 6:9] = False
    ref = run([[0, 0, 9, 3]], [0.9], [0], masks=masks)
    res = compare_instances(ref, run([[0, 0, 9, 3]], [0.9], [0], masks=one))
    assert abs(res['min_mask_iou'] - 26 / 27) < 1e-6
    assert res['max_pixels_off'] == 1 and res['masks_off'] == 0
    assert res['equivalent']
    res = compare_instances(ref, run([[0, 0, 9, 3]], [0.9], [0],
                                     masks=three))
    assert res['max_pixels_off'] == 3 and res['masks_off'] == 1
    assert not res['equivalent']


def test_zero_scores_are_counted_not_compared():
    ref = run([[0, 0, 4, 4], [5, 5, 9, 9]], [0.5, 0.0], [0, 0])
    test = run([[0, 0, 4, 4], [10, 10, 14, 14]], [0.5, 0.0], [0, 1])
    res = compare_instances(ref, test)
    assert res['zero_score'] == (1, 1) and res['equivalent']
    assert res['num_ref'] == res['num_test'] == 2
