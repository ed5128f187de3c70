"""tools/analysis_tools/class_confusion.py on hand-made detections."""
import json
import pickle

import numpy as np
import pycocotools.mask as mask_util
import pytest
import torch
from conftest import run_tool

from tools.analysis_tools.class_confusion import analyse

# two 20x20 images; image 1 holds a 'circle' (x 2..8) and a 'square'
# (x 10..18); image 2 holds one 'square'
BOXES = {1: [[2, 2, 6, 6], [10, 10, 8, 8]], 2: [[4, 4, 10, 10]]}
CATS = {1: [1, 2], 2: [2]}


def _box_mask(x, y, w, h, size=20):
    m = np.zeros((size, size), np.uint8)
    m[y:y + h, x:x + w] = 1
    return m


@pytest.fixture
def ann_file(tmp_path):
    anns = []
    for img_id, boxes in BOXES.items():
        for box, cat in zip(boxes, CATS[img_id]):
            rle = mask_util.encode(np.asfortranarray(_box_mask(*box)))
            rle['counts'] = rle['counts'].decode()
            anns.append(
                dict(id=len(anns) + 1,
                     image_id=img_id,
                     category_id=cat,
                     bbox=box,
                     area=box[2] * box[3],
                     iscrowd=0,
                     segmentation=rle))
    gt = dict(images=[
        dict(id=i, width=20, height=20, file_name=f'{i}.png') for i in BOXES
    ],
              categories=[
                  dict(id=1, name='circle'),
                  dict(id=2, name='square')
              ],
              annotations=anns)
    path = tmp_path / 'gt.json'
    path.write_text(json.dumps(gt))
    return str(path)


def _result(img_id, dets):
    """dets: (x, y, w, h, label index, score) -> a tools/test.py record."""
    boxes = torch.tensor([[x, y, x + w, y + h] for x, y, w, h, _, _ in dets],
                         dtype=torch.float32).reshape(-1, 4)
    masks = []
    for x, y, w, h, _, _ in dets:
        rle = mask_util.encode(np.asfortranarray(_box_mask(x, y, w, h)))
        masks.append(rle)
    return dict(img_id=img_id,
                pred_instances=dict(bboxes=boxes,
                                    masks=masks,
                                    labels=torch.tensor([d[4] for d in dets],
                                                        dtype=torch.long),
                                    scores=torch.tensor([d[5] for d in dets])))


def _swapped():
    """Exact boxes, every label wrong (circle <-> square)."""
    return [
        _result(1, [(2, 2, 6, 6, 1, 0.9), (10, 10, 8, 8, 0, 0.8)]),
        _result(2, [(4, 4, 10, 10, 0, 0.7)])
    ]


@pytest.mark.parametrize('iou_type', ['bbox', 'segm'])
def test_wrong_labels_cost_all_ap_but_not_class_agnostic_ap(
        ann_file, iou_type):
    r = analyse(_swapped(), ann_file, iou_type)
    assert r['ap'] == 0.0
    assert r['ap_class_agnostic'] == pytest.approx(1.0)
    assert (r['objects'], r['found'], r['found_with_class']) == (3, 3, 0)
    assert r['outscored_by_wrong_class'] == 0
    # rows: circle, square; columns: circle, square, missed
    assert r['matrix'] == [[0, 1, 0], [2, 0, 0]]
    # no detection of an object's own class overlaps it
    assert r['mean_best_iou_with_class'] == 0.0
    assert r['share_best_iou_with_class_075'] == 0.0


def test_outscored_and_missed_counts(ann_file):
    results = _swapped()
    # image 1: the circle also gets its own class, at a lower score
    # (outscored); the square's right-class detection scores higher than
    # the wrong one (not outscored). Image 2: the only detection is off
    # the object (IoU 0), so the square there is missed.
    results[0] = _result(1, [(2, 2, 6, 6, 1, 0.9), (2, 2, 6, 6, 0, 0.5),
                             (10, 10, 8, 8, 0, 0.3), (10, 10, 8, 8, 1, 0.6)])
    results[1] = _result(2, [(15, 15, 4, 4, 1, 0.9)])
    r = analyse(results, ann_file, 'bbox')
    assert (r['objects'], r['found'], r['found_with_class']) == (3, 2, 2)
    assert r['outscored_by_wrong_class'] == 1
    assert r['matrix'] == [[0, 1, 0], [0, 1, 1]]
    # best own-class IoU: 1 (circle), 1 (square of image 1), 0 (image 2)
    assert r['mean_best_iou_with_class'] == pytest.approx(2 / 3)
    assert r['share_best_iou_with_class_075'] == pytest.approx(2 / 3)
    # both APs are partial here (a missed square; duplicates of another
    # class are false positives only without categories)
    assert 0 < r['ap'] < 1 and 0 < r['ap_class_agnostic'] < 1


def test_segm_ranks_by_mask_scores_when_present(ann_file):
    """CenterMask's results carry ``mask_scores`` (score x MaskIoU), which
    CocoMetric ranks masks by; boxes keep ``scores``."""
    results = _swapped()
    # image 1: the circle's right-class detection scores lower than the
    # wrong one by ``scores`` but higher by ``mask_scores``
    results[0] = _result(1, [(2, 2, 6, 6, 1, 0.9), (2, 2, 6, 6, 0, 0.5)])
    results[0]['pred_instances']['mask_scores'] = torch.tensor([0.3, 0.4])
    assert analyse(results, ann_file, 'bbox')['outscored_by_wrong_class'] \
        == 1
    assert analyse(results, ann_file, 'segm')['outscored_by_wrong_class'] \
        == 0


def test_iou_thr_is_applied(ann_file):
    # a box shifted by 2 px: IoU with the 6x6 circle is 4*6/(2*36-24) = 0.5
    results = [_result(1, [(4, 2, 6, 6, 0, 0.9)]), _result(2, [])]
    assert analyse(results, ann_file, 'bbox', 0.5)['found'] == 1
    assert analyse(results, ann_file, 'bbox', 0.51)['found'] == 0
    # best own-class IoU: 0.5 (circle), 0 (square, image 1; no square
    # detection), 0 (image 2, no detection), whatever the threshold
    r = analyse(results, ann_file, 'bbox', 0.51)
    assert r['mean_best_iou_with_class'] == pytest.approx(0.5 / 3)
    assert r['share_best_iou_with_class_075'] == 0.0


def test_label_outside_categories_is_a_clear_error(ann_file):
    results = [_result(1, [(2, 2, 6, 6, 5, 0.9)])]
    with pytest.raises(ValueError, match='img_id 1: label 5'):
        analyse(results, ann_file)


def test_cli_prints_report_and_json(ann_file, tmp_path):
    pkl = tmp_path / 'res.pkl'
    pkl.write_bytes(pickle.dumps(_swapped()))
    out = tmp_path / 'r.json'
    proc = run_tool([
        'tools/analysis_tools/class_confusion.py',
        str(pkl), ann_file, '--json',
        str(out)
    ])
    assert 'bbox AP 0.000, class-agnostic 1.000' in proc.stdout
    assert json.load(open(out))['found'] == 3
    bad = run_tool([
        'tools/analysis_tools/class_confusion.py',
        str(tmp_path / 'nope.pkl'), ann_file
    ],
                   check=False)
    assert bad.returncode != 0 and 'nope.pkl' in bad.stderr


def test_binary_masks_match_rles_and_results_are_not_modified(ann_file):
    rle_results = _swapped()
    binary = []
    for res in _swapped():
        pred = dict(res['pred_instances'])
        pred['masks'] = torch.from_numpy(
            np.stack([mask_util.decode(m) for m in pred['masks']])).bool()
        binary.append(dict(res, pred_instances=pred))
    assert analyse(binary, ann_file, 'segm') == \
        analyse(rle_results, ann_file, 'segm')
    # the RLEs of the caller keep their bytes counts
    assert isinstance(rle_results[0]['pred_instances']['masks'][0]['counts'],
                      bytes)


def test_results_that_would_run_code_are_refused(ann_file, tmp_path,
                                                 monkeypatch):
    import sys

    from test_utils.test_checkpoint import Exploit
    from tools.analysis_tools import class_confusion
    marker = tmp_path / 'pwned'
    pkl = tmp_path / 'evil.pkl'
    pkl.write_bytes(pickle.dumps([{'img_id': 1, 'x': Exploit(marker)}]))
    monkeypatch.setattr(sys, 'argv', ['class_confusion.py', str(pkl),
                                      ann_file])
    with pytest.raises(SystemExit) as err:
        class_confusion.main()
    assert str(pkl) in str(err.value) and 'system' in str(err.value)
    assert not marker.exists()
