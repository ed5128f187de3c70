"""CenterMask-Point's heatmap targets and peak decoding on the cases where a
point detector could lose objects (issue 26): touching objects of one
class, objects on the image border, centres in one cell. The targets fed
back as predictions must give back every object whose centre has a cell of
its own."""
import torch
from mmengine.structures import InstanceData

from mmseginst.models.dense_heads import CenterMaskPointHead

INPUT = (64, 64)  # stride 4: a 16x16 grid
META = dict(batch_input_shape=INPUT, img_shape=INPUT, ori_shape=INPUT,
            scale_factor=(1.0, 1.0))


def _head(**train_cfg):
    return CenterMaskPointHead(num_classes=2, in_channels=4,
                               feat_channels=4, shape_size=None,
                               train_cfg=train_cfg or None)


def _decode_targets(head, boxes, labels):
    """Targets of one image, decoded as if the heads had predicted them."""
    boxes = torch.tensor(boxes, dtype=torch.float32)
    labels = torch.tensor(labels)
    targets, num = head.get_targets([boxes], [labels], (1, 2, 16, 16),
                                    INPUT)
    results = head.predict_by_feat([targets['center_heatmap_target']],
                                   [targets['wh_target']],
                                   [targets['offset_target']], [None],
                                   [META])[0]
    return targets, num, results[results.scores == 1]


def test_touching_objects_of_one_class_give_two_peaks():
    # two 16x24 boxes sharing the edge x = 20; centres (12, 16) and
    # (28, 16) px -> cells (3, 4) and (7, 4), 4 cells apart; the Gaussian
    # radius of a 4 x 6-cell box is 1 (min_overlap 0.3)
    boxes = [[4., 4., 20., 28.], [20., 4., 36., 28.]]
    targets, num, found = _decode_targets(_head(), boxes, [1, 1])
    assert num == 2
    heat = targets['center_heatmap_target'][0, 1]
    assert heat[4, 3] == 1 and heat[4, 7] == 1
    # the cell between them is lower than both peaks
    assert heat[4, 5] < 1
    assert sorted(found.bboxes.tolist()) == sorted(boxes)
    assert found.labels.tolist() == [1, 1]


def test_objects_on_the_border_keep_their_centre():
    # cut by the left and the bottom border: the box is the visible part
    boxes = [[0., 20., 10., 40.], [30., 50., 50., 64.]]
    targets, _, found = _decode_targets(_head(), boxes, [0, 0])
    heat = targets['center_heatmap_target'][0, 0]
    assert heat[7, 1] == 1  # centre (5, 30) px -> cell (1, 7)
    assert heat[14, 10] == 1  # centre (40, 57) px -> cell (10, 14)
    assert sorted(found.bboxes.tolist()) == sorted(boxes)


def test_wider_gaussians_still_leave_touching_centres_their_peaks():
    """The radius stays below half the box's shorter side for any
    min_overlap (1 cell here even at 0.01; 0 at CenterNet's 0.7 in mmdet's
    corrected formula), and touching objects' centres are at least that
    far apart: each keeps its peak."""
    boxes = [[4., 4., 20., 28.], [20., 4., 36., 28.]]
    for min_overlap in (0.01, 0.3, 0.7):
        _, num, found = _decode_targets(_head(min_overlap=min_overlap),
                                        boxes, [1, 1])
        assert num == 2 and len(found) == 2


def test_centres_in_one_cell_share_one_peak():
    """A limit of the point representation (CenterNet's too): two objects
    of a class centred in the same cell have one peak between them, the
    size of the last one written. tools/analysis_tools/peak_recall.py
    counts these objects ('same cell')."""
    boxes = [[8., 8., 24., 24.], [9., 9., 23., 25.]]
    _, num, found = _decode_targets(_head(), boxes, [0, 0])
    assert num == 1 and len(found) == 1
    # of another class, they keep a peak each
    _, num, found = _decode_targets(_head(), boxes, [0, 1])
    assert num == 2 and len(found) == 2
