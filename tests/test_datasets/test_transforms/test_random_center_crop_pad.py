"""CenterNet's random center crop-and-pad with instance masks."""
import numpy as np
import pytest
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks, PolygonMasks

from mmseginst.datasets.transforms import RandomCenterCropPadWithMask

BOXES = np.array([[10, 12, 30, 40], [40, 5, 75, 25], [2, 50, 20, 62]],
                 dtype=np.float32)


def make_results(polygons=False, h=64, w=80):
    if polygons:
        masks = PolygonMasks(
            [[np.array([x1, y1, x2, y1, x2, y2, x1, y2], dtype=np.float64)]
             for x1, y1, x2, y2 in BOXES], h, w)
    else:
        bitmaps = np.zeros((len(BOXES), h, w), dtype=np.uint8)
        for k, (x1, y1, x2, y2) in enumerate(BOXES.astype(int)):
            bitmaps[k, y1:y2, x1:x2] = 1
        masks = BitmapMasks(bitmaps, h, w)
    return dict(
        img=np.random.rand(h, w, 3).astype(np.float32),
        img_shape=(h, w),
        gt_bboxes=HorizontalBoxes(BOXES.copy()),
        gt_bboxes_labels=np.array([3, 1, 2], dtype=np.int64),
        gt_ignore_flags=np.array([False, False, True]),
        gt_masks=masks)


def transform():
    return RandomCenterCropPadWithMask(
        crop_size=(48, 48), ratios=(0.8, 1.0, 1.2), border=16,
        mean=[0, 0, 0], std=[1, 1, 1], to_rgb=False, test_pad_mode=None)


@pytest.mark.parametrize('polygons', [False, True])
def test_masks_follow_boxes(polygons):
    np.random.seed(0)
    for _ in range(10):
        out = transform().transform(make_results(polygons))
        h, w = out['img'].shape[:2]
        masks = out['gt_masks'].to_ndarray()
        assert masks.shape[1:] == (h, w)
        assert len(masks) == len(out['gt_bboxes']) == \
            len(out['gt_bboxes_labels']) == len(out['gt_ignore_flags'])
        for mask, box, label, ignore in zip(
                masks, out['gt_bboxes'].numpy(), out['gt_bboxes_labels'],
                out['gt_ignore_flags']):
            # the instance keeps its label and flag
            k = [3, 1, 2].index(label)
            assert ignore == (k == 2)
            ys, xs = np.nonzero(mask)
            assert len(ys) > 0
            # a rectangle mask still fills its (clipped) box exactly
            tol = 1 if polygons else 0
            assert abs(xs.min() - box[0]) <= tol
            assert abs(xs.max() + 1 - box[2]) <= tol
            assert abs(ys.min() - box[1]) <= tol
            assert abs(ys.max() + 1 - box[3]) <= tol


def test_without_masks_and_without_objects():
    np.random.seed(1)
    results = make_results()
    results.pop('gt_masks')
    out = transform().transform(results)
    assert 'gt_masks' not in out
    empty = make_results()
    empty['gt_bboxes'] = HorizontalBoxes(np.zeros((0, 4), np.float32))
    empty['gt_bboxes_labels'] = np.zeros(0, np.int64)
    empty['gt_ignore_flags'] = np.zeros(0, bool)
    empty['gt_masks'] = BitmapMasks(np.zeros((0, 64, 80), np.uint8), 64, 80)
    out = transform().transform(empty)
    assert out['gt_masks'].masks.shape[1:] == out['img'].shape[:2]
    bad = make_results()
    bad['gt_seg_map'] = np.zeros((32, 80), np.uint8)
    with pytest.raises(ValueError, match='gt_seg_map'):
        transform().transform(bad)


@pytest.mark.parametrize('with_masks', [True, False])
def test_seg_map_follows_the_image(with_masks):
    np.random.seed(2)
    padded = 0
    for _ in range(10):
        results = make_results()
        if not with_masks:
            results.pop('gt_masks')
        h, w = results['img'].shape[:2]
        seg = (np.arange(h * w) % 200).reshape(h, w).astype(np.uint8)
        # channel 0 of the image carries the same values (+1: the canvas
        # around the crop is filled with the mean, 0)
        results['img'][..., 0] = seg + 1.0
        results['gt_seg_map'] = seg
        out = transform().transform(results)
        img, seg_out = out['img'][..., 0], out['gt_seg_map']
        assert seg_out.shape == img.shape and seg_out.dtype == np.uint8
        inside = img > 0
        assert inside.any()
        padded += int((~inside).any())
        np.testing.assert_array_equal(seg_out[inside], img[inside] - 1)
        assert (seg_out[~inside] == 255).all()
        assert ('gt_masks' in out) == with_masks
    assert padded > 0  # some crops reached over the image border
