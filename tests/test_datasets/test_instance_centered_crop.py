import numpy as np
import pytest
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks

from mmseginst.datasets.transforms import InstanceCenteredCrop


def results_with(masks, ignore=None, h=100, w=200):
    masks = np.stack(masks).astype(np.uint8)
    bm = BitmapMasks(masks, h, w)
    return dict(
        img=np.zeros((h, w, 3), np.uint8), img_shape=(h, w),
        gt_masks=bm,
        gt_bboxes=bm.get_bboxes(HorizontalBoxes),
        gt_bboxes_labels=np.zeros(len(masks), np.int64),
        gt_ignore_flags=np.zeros(len(masks), bool) if ignore is None else
        np.asarray(ignore))


def blank(h=100, w=200):
    return np.zeros((h, w), np.uint8)


def test_crop_is_centred_on_the_instance_and_clipped():
    m = blank()
    m[40:60, 90:110] = 1  # centroid (49.5, 99.5)
    out = InstanceCenteredCrop((40, 60))(results_with([m]))
    # top-left = int(centroid - half size) = (29, 69)
    assert out['img'].shape[:2] == (40, 60)
    assert out['homography_matrix'][:2, 2].tolist() == [-69, -29]
    assert out['gt_bboxes'].tensor.tolist() == [[21.0, 11.0, 41.0, 31.0]]
    # near the corner: clipped so that the crop stays inside
    c = blank()
    c[0:6, 190:200] = 1
    out = InstanceCenteredCrop((40, 60))(results_with([c]))
    assert out['homography_matrix'][:2, 2].tolist() == [-140, 0]


def test_random_instance_skips_ignored_and_handles_no_instance():
    a, b = blank(), blank()
    a[10:20, 10:20] = 1
    b[80:90, 150:160] = 1
    np.random.seed(0)
    for _ in range(5):
        out = InstanceCenteredCrop((40, 60))(results_with([a, b],
                                                          [True, False]))
        # always around b (centroid 84.5, 154.5)
        assert out['homography_matrix'][:2, 2].tolist() == [-124, -60]
    out = InstanceCenteredCrop((40, 60))(dict(
        img=np.zeros((100, 200, 3), np.uint8), img_shape=(100, 200)))
    assert out['img'].shape[:2] == (40, 60)
    with pytest.raises(AssertionError):
        InstanceCenteredCrop((0, 60))
