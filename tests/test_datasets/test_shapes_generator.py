import hashlib
import json
import os
import os.path as osp

import cv2
import numpy as np
import pycocotools.mask as mask_utils
import pytest
from pycocotools.coco import COCO

from mmseginst.datasets.shapes_generator import (CLASSES, ShapesSpec,
                                                 generate_shapes_dataset,
                                                 image_rng, mask_to_bbox,
                                                 render_image)


def _sha(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


@pytest.fixture(scope='module')
def two_sets(tmp_path_factory):
    spec = ShapesSpec(height=96, width=112)
    a = tmp_path_factory.mktemp('a')
    b = tmp_path_factory.mktemp('b')
    c = tmp_path_factory.mktemp('c')
    fa = generate_shapes_dataset(str(a), 40, 10, seed=3, spec=spec)
    fb = generate_shapes_dataset(str(b), 40, 10, seed=3, spec=spec)
    fc = generate_shapes_dataset(str(c), 40, 10, seed=4, spec=spec)
    return spec, (a, fa), (b, fb), (c, fc)


def test_same_seed_gives_identical_files(two_sets):
    _, (a, fa), (b, fb), (c, fc) = two_sets
    for split in ('train', 'val'):
        assert _sha(fa[split]) == _sha(fb[split])
        assert _sha(fa[split]) != _sha(fc[split])
        for name in ('000000.png', '000007.png'):
            assert _sha(a / split / name) == _sha(b / split / name)


def test_prefix_property(tmp_path):
    """A larger set starts with the images of a smaller one."""
    spec = ShapesSpec(height=64, width=64)
    small = generate_shapes_dataset(str(tmp_path / 's'), 5, 0, 1, spec)
    large = generate_shapes_dataset(str(tmp_path / 'l'), 9, 0, 1, spec)
    s = json.load(open(small['train']))
    lg = json.load(open(large['train']))
    assert s['images'] == lg['images'][:5]
    n = len(s['annotations'])
    assert s['annotations'] == lg['annotations'][:n]


def test_pycocotools_loads_and_masks_match_drawing(two_sets):
    spec, (a, fa), _, _ = two_sets
    coco = COCO(fa['train'])
    assert sorted(c['name'] for c in coco.loadCats(coco.getCatIds())) == \
        sorted(CLASSES)
    assert len(CLASSES) >= 3
    for img_id in coco.getImgIds():
        info = coco.loadImgs(img_id)[0]
        index = int(info['file_name'][:6])
        # Re-draw the image and compare the annotations to the drawing.
        image, instances = render_image(spec, image_rng(3, 'train', index))
        on_disk = cv2.imread(str(a / 'train' / info['file_name']))
        assert np.array_equal(image, on_disk)
        anns = coco.loadAnns(coco.getAnnIds(imgIds=img_id))
        assert len(anns) == len(instances)
        for ann, inst in zip(anns, instances):
            decoded = coco.annToMask(ann).astype(bool)
            assert np.array_equal(decoded, inst.visible_mask)
            assert ann['area'] == int(inst.visible_mask.sum())
            assert ann['bbox'] == mask_to_bbox(inst.visible_mask)
            assert ann['category_id'] == inst.label + 1
            # The visible part is the drawn shape minus what covers it.
            assert not (decoded & ~inst.full_mask).any()


def test_visible_masks_partition_painted_pixels():
    spec = ShapesSpec()
    for i in range(30):
        _, instances = render_image(spec, image_rng(0, 'train', i))
        if not instances:
            continue
        union_full = np.zeros_like(instances[0].full_mask)
        count = np.zeros(union_full.shape, np.int32)
        for inst in instances:
            union_full |= inst.full_mask
            count += inst.visible_mask
        # every painted pixel belongs to exactly one visible mask
        assert np.array_equal(count > 0, union_full)
        assert count.max() <= 1
        for inst in instances:
            assert inst.visible_mask.sum() >= spec.min_visible_area


def _same_class_pairs(instances):
    kernel = np.ones((3, 3), np.uint8)
    touch = overlap = 0
    for i, a in enumerate(instances):
        for b in instances[i + 1:]:
            if a.label != b.label:
                continue
            if (a.full_mask & b.full_mask).any():
                overlap += 1
            elif (cv2.dilate(a.visible_mask.astype(np.uint8), kernel).astype(
                    bool) & b.visible_mask).any():
                touch += 1
    return touch, overlap


def test_dataset_properties_required_by_the_issue():
    """Touching and overlapping same-class pairs, empty images, the size
    range, thin and concave shapes all occur in a default-size set."""
    spec = ShapesSpec()
    touch = overlap = empty = 0
    extents, thin, concave = [], 0, 0
    for i in range(150):
        _, instances = render_image(spec, image_rng(0, 'train', i))
        empty += not instances
        t, o = _same_class_pairs(instances)
        touch += t
        overlap += o
        for inst in instances:
            ys, xs = np.nonzero(inst.full_mask)
            extents.append(max(np.ptp(xs), np.ptp(ys)) + 1)
            m = inst.full_mask.astype(np.uint8)
            contours, _ = cv2.findContours(m, cv2.RETR_EXTERNAL,
                                           cv2.CHAIN_APPROX_NONE)
            hull_area = cv2.contourArea(cv2.convexHull(
                np.concatenate(contours)))
            if hull_area > 50 and m.sum() < 0.75 * hull_area:
                concave += CLASSES[inst.label] == 'star'
            rect = cv2.minAreaRect(np.stack([xs, ys], 1).astype(np.float32))
            w, h = sorted(rect[1])
            if h >= 16 and w <= 0.25 * h:
                thin += 1
    assert touch > 0 and overlap > 0
    assert empty > 0
    assert min(extents) <= 10
    assert max(extents) >= 0.4 * spec.height
    assert thin > 10 and concave > 10


def test_encode_roundtrip():
    mask = np.zeros((20, 30), bool)
    mask[3:7, 10:25] = True
    mask[15, 2] = True
    from mmseginst.datasets.shapes_generator import encode_mask
    rle = encode_mask(mask)
    assert isinstance(rle['counts'], str)
    decoded = mask_utils.decode({'size': rle['size'],
                                 'counts': rle['counts'].encode()})
    assert np.array_equal(decoded.astype(bool), mask)
    assert mask_to_bbox(mask) == [2.0, 3.0, 23.0, 13.0]


def test_bad_spec_is_rejected():
    with pytest.raises(ValueError, match='image size'):
        ShapesSpec(height=8, width=8)
    with pytest.raises(ValueError, match='min_size'):
        ShapesSpec(min_size=100)


def _tree_sha(root):
    h = hashlib.sha256()
    for sub in ('annotations', 'train', 'val'):
        for name in sorted(os.listdir(osp.join(root, sub))):
            with open(osp.join(root, sub, name), 'rb') as f:
                h.update(f.read())
    return h.hexdigest()


def test_default_layout_output_is_unchanged(tmp_path):
    """The files the generator wrote before the dense layout existed (same
    options, same seed): adding options must not move a default set."""
    generate_shapes_dataset(str(tmp_path), 6, 3, seed=0,
                            spec=ShapesSpec(height=64, width=80))
    assert _tree_sha(str(tmp_path)) == \
        '646368f03fa0468512b076631068017c84973b5dbd25dea4b6590a7242460260'
    info = json.load(open(tmp_path / 'annotations' / 'instances_val.json'))
    assert 'layout' not in info['info']['generator']


def test_dense_layout_packs_touching_objects_of_one_class(tmp_path):
    spec = ShapesSpec(layout='dense', max_size_ratio=0.3,
                      dense_count=(6, 10), empty_prob=0.0)
    kernel = np.ones((3, 3), np.uint8)
    counts = []
    for i in range(6):
        _, instances = render_image(spec, image_rng(0, 'train', i))
        counts.append(len(instances))
        assert 2 <= len(instances) <= 10
        assert len({inst.label for inst in instances}) == 1
        for k, a in enumerate(instances):
            # no overlap: every object is fully visible
            assert np.array_equal(a.visible_mask, a.full_mask)
            grown = cv2.dilate(a.full_mask.astype(np.uint8),
                               kernel).astype(bool)
            others = [b for j, b in enumerate(instances) if j != k]
            assert not any((a.full_mask & b.full_mask).any()
                           for b in others)
            assert any((grown & b.full_mask).any() for b in others)
    assert np.mean(counts) >= 5
    files = generate_shapes_dataset(str(tmp_path), 2, 1, seed=0, spec=spec)
    info = json.load(open(files['val']))['info']['generator']
    assert info['layout'] == 'dense' and info['dense_count'] == [6, 10]


def test_bad_layout_is_rejected():
    with pytest.raises(ValueError, match='layout'):
        ShapesSpec(layout='packed')
    with pytest.raises(ValueError, match='dense_count'):
        ShapesSpec(dense_count=(5, 2))
