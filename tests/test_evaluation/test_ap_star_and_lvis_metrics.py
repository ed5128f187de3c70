"""LVIS-protocol AP without lvis-api, AP* against cocofied LVIS, boundary AP
and the cocofy tool, on tiny synthetic ground truth and predictions whose
expected values are computed by hand or by the plain definitions below."""
import importlib.util
import json
import math
import os.path as osp

import numpy as np
import pycocotools.mask as mask_util
import pytest
import torch

from mmseginst.evaluation.functional import (lvis_style_evaluate,
                                             top_k_per_image)
from mmseginst.evaluation.metrics import CocoAPStarMetric, FasterLVISMetric

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
IOU_THRS = np.linspace(0.5, 0.95, 10)


def rle(mask):
    out = mask_util.encode(np.asfortranarray(mask.astype(np.uint8)))
    out['counts'] = out['counts'].decode()
    return out


def rect(h, w, y0, y1, x0, x1):
    m = np.zeros((h, w), bool)
    m[y0:y1, x0:x1] = True
    return m


def ap_one_match(iou):
    """AP of one ground truth matched by one detection of that IoU."""
    return float(np.mean([iou >= t - 1e-12 for t in IOU_THRS]))


def boundary_plain(mask, ratio=0.02):
    """Mask minus its erosion by d = round(ratio * diagonal) pixels (>= 1),
    the outside of the image being background."""
    h, w = mask.shape
    d = max(1, int(round(ratio * math.hypot(h, w))))
    padded = np.pad(mask, d)
    eroded = np.ones_like(mask)
    for dy in range(-d, d + 1):
        for dx in range(-d, d + 1):
            eroded &= padded[d + dy:d + dy + h, d + dx:d + dx + w]
    return mask & ~eroded


def iou(a, b):
    return (a & b).sum() / (a | b).sum()


def lvis_gt():
    """Image 1 lists category 2 as negative and 3 as not exhaustive; 4 is
    neither annotated nor negative there. Frequencies: 1 f, 2 c, 3 r, 4 c."""
    images = [
        dict(id=1, height=100, width=100, neg_category_ids=[2],
             not_exhaustive_category_ids=[3]),
        dict(id=2, height=100, width=100, neg_category_ids=[],
             not_exhaustive_category_ids=[])
    ]
    cats = [dict(id=i, name=n, frequency=f, synset=f'{n}.n.01')
            for i, n, f in ((1, 'a', 'f'), (2, 'b', 'c'), (3, 'c', 'r'),
                            (4, 'd', 'c'))]
    anns = [dict(id=k + 1, image_id=img, category_id=cat,
                 bbox=[x, y, 20, 20], area=400.)
            for k, (img, cat, x, y) in enumerate([(1, 1, 0, 0), (1, 3, 50, 50),
                                                  (2, 2, 0, 0),
                                                  (2, 4, 50, 50)])]
    return dict(images=images, categories=cats, annotations=anns)


def det(img, cat, x, y, score):
    return dict(image_id=img, category_id=cat, bbox=[x, y, 20, 20],
                score=score)


def test_lvis_protocol_hand_checked():
    dets = [
        det(1, 1, 0, 0, .9), det(1, 1, 70, 0, .95),  # cat 1: AP 0.5
        det(1, 2, 30, 30, .9), det(2, 2, 0, 0, .8),  # negative: FP, AP 0.5
        det(1, 3, 50, 50, .7), det(1, 3, 0, 70, .99),  # not exhaustive: 1
        det(1, 4, 0, 50, .99), det(2, 4, 50, 50, .6)  # not listed: 1
    ]
    stats = lvis_style_evaluate(lvis_gt(), dets, 'bbox')
    assert stats['AP'] == pytest.approx(0.75)
    assert stats['APf'] == pytest.approx(0.5)
    assert stats['APc'] == pytest.approx(0.75)
    assert stats['APr'] == pytest.approx(1.0)
    # at most max_dets per image, across categories: with 1, image 1 keeps
    # only its first 0.99 detection (category 3, ignored): category 1 gets 0
    capped = lvis_style_evaluate(lvis_gt(), dets, 'bbox', max_dets=1)
    assert capped['APf'] == 0
    assert lvis_style_evaluate(lvis_gt(), [], 'bbox')['AP'] == -1


def test_top_k_per_image_and_bad_gt():
    res = [dict(image_id=i % 2, score=s, category_id=s * 10)
           for i, s in enumerate([.1, .5, .9, .3, .7])]
    kept = top_k_per_image(res, 2)
    assert sorted((r['image_id'], r['score']) for r in kept) == [
        (0, .7), (0, .9), (1, .3), (1, .5)]
    coco_gt = lvis_gt()
    del coco_gt['images'][0]['neg_category_ids']
    with pytest.raises(ValueError, match='neg_category_ids'):
        lvis_style_evaluate(coco_gt, [det(1, 1, 0, 0, .9)], 'bbox')


def sample(img_id, masks, labels, scores, shape):
    return dict(
        img_id=img_id, ori_shape=shape,
        pred_instances=dict(
            bboxes=torch.tensor([[0., 0., 10., 10.]] * len(masks)),
            scores=torch.tensor(scores), labels=torch.tensor(labels),
            masks=torch.from_numpy(np.stack(masks))))


def test_faster_lvis_metric_segm(tmp_path):
    gt = lvis_gt()
    h = w = 100
    for ann in gt['annotations']:
        x, y = ann['bbox'][:2]
        ann['segmentation'] = rle(rect(h, w, y, y + 20, x, x + 20))
    path = tmp_path / 'lvis.json'
    path.write_text(json.dumps(gt))
    metric = FasterLVISMetric(str(path), metric=['bbox', 'segm'])
    metric.dataset_meta = dict(classes=('a', 'b', 'c', 'd'))
    # category 1: a perfect mask; category 3: a mask of IoU 0.72
    m1 = rect(h, w, 0, 20, 0, 20)
    m3 = rect(h, w, 50, 70, 50, 70) | rect(h, w, 70, 78, 50, 70)
    metric.process({}, [sample(1, [m1, m3], [0, 2], [.9, .8], (h, w))])
    metric.process({}, [sample(2, [rect(h, w, 0, 20, 0, 20)], [1], [.9],
                               (h, w))])
    out = metric.evaluate(2)
    m3_iou = iou(m3, rect(h, w, 50, 70, 50, 70))
    assert out['lvis/segm_APf'] == pytest.approx(1.0)
    assert out['lvis/segm_APr'] == pytest.approx(ap_one_match(m3_iou))
    # category 4 has ground truth but no detection: AP 0
    assert out['lvis/segm_APc'] == pytest.approx(0.5)
    assert out['lvis/segm_AP'] == pytest.approx(
        (2 + ap_one_match(m3_iou)) / 4)
    with pytest.raises(KeyError, match='metric'):
        FasterLVISMetric(str(path), metric='proposal')


def test_coco_ap_star_and_boundary_ap(tmp_path):
    h, w = 60, 80
    coco_mask = rect(h, w, 10, 40, 10, 50)  # the coarser COCO mask
    lvis_mask = rect(h, w, 10, 41, 10, 51)  # the finer LVIS mask
    pred = lvis_mask.copy()
    coco = dict(
        images=[dict(id=7, height=h, width=w, file_name='7.jpg')],
        categories=[dict(id=1, name='person'), dict(id=3, name='car')],
        annotations=[dict(id=1, image_id=7, category_id=3, iscrowd=0,
                          segmentation=rle(coco_mask), bbox=[10, 10, 40, 30],
                          area=float(coco_mask.sum()))])
    lvis = dict(
        images=[dict(id=7, height=h, width=w, neg_category_ids=[1],
                     not_exhaustive_category_ids=[])],
        categories=[dict(id=3, name='car_(automobile)', frequency='f')],
        annotations=[dict(id=1, image_id=7, category_id=3,
                          segmentation=rle(lvis_mask), bbox=[10, 12, 42, 28],
                          area=float(lvis_mask.sum()))])
    (tmp_path / 'coco.json').write_text(json.dumps(coco))
    (tmp_path / 'cocofied.json').write_text(json.dumps(lvis))
    metric = CocoAPStarMetric(
        ann_file=str(tmp_path / 'coco.json'), metric='segm',
        ap_star_ann_file=str(tmp_path / 'cocofied.json'), boundary=True)
    metric.dataset_meta = dict(classes=('person', 'car'))
    metric.process({}, [sample(7, [pred], [1], [.9], (h, w))])
    out = metric.evaluate(1)
    mask_iou = iou(pred, coco_mask)
    boundary_iou = iou(boundary_plain(pred), boundary_plain(coco_mask))
    # mask IoU 0.944, boundary IoU 0.6: AP 0.9, boundary AP 0.3
    assert ap_one_match(mask_iou) == 0.9
    assert ap_one_match(min(mask_iou, boundary_iou)) == pytest.approx(0.3)
    assert out['coco/segm_mAP'] == pytest.approx(ap_one_match(mask_iou),
                                                 abs=1e-3)
    assert out['coco/segm_AP*'] == pytest.approx(1.0)
    assert out['coco/boundary_mAP'] == pytest.approx(
        ap_one_match(min(mask_iou, boundary_iou)), abs=1e-3)


def test_boundary_matches_plain_definition_on_shapes():
    """faster-coco-eval's boundary of a mask, touching the image border or
    not, is the plain erosion definition above."""
    from faster_coco_eval import COCO, COCOeval_faster
    from faster_coco_eval.core import mask as fce_mask
    rng = np.random.default_rng(0)
    for _ in range(6):
        h, w = (int(v) for v in rng.integers(20, 200, 2))
        yy, xx = np.mgrid[:h, :w]
        cy, cx, r = rng.integers(0, h), rng.integers(0, w), rng.integers(3, 60)
        m = (yy - cy)**2 + (xx - cx)**2 <= r * r
        m[rng.integers(0, h):, :rng.integers(1, w)] ^= True
        gt = COCO()
        gt.dataset = dict(
            images=[dict(id=1, height=h, width=w)],
            categories=[dict(id=1, name='x')],
            annotations=[dict(id=1, image_id=1, category_id=1, iscrowd=0,
                              segmentation=rle(m), area=float(m.sum()),
                              bbox=[0, 0, 1, 1])])
        gt.createIndex()
        dt = gt.loadRes([dict(image_id=1, category_id=1, score=1.,
                              segmentation=rle(m))])
        COCOeval_faster(gt, dt, 'boundary',
                        print_function=lambda *a: None).evaluate()
        boundary = fce_mask.decode(gt.anns[1]['boundary']).astype(bool)
        np.testing.assert_array_equal(boundary, boundary_plain(m))


def load_cocofy():
    path = osp.join(REPO, 'tools', 'dataset_converters', 'cocofy_lvis.py')
    spec = importlib.util.spec_from_file_location('cocofy_lvis', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cocofy_lvis():
    cocofy = load_cocofy()
    assert len(cocofy.COCO_TO_SYNSET) == 80
    lvis = dict(
        info={'v': 0.5},
        images=[dict(id=5, file_name='COCO_val2014_000000000005.jpg',
                     neg_category_ids=[11, 12, 13],
                     not_exhaustive_category_ids=[12]),
                dict(id=6, file_name='COCO_val2014_000000000006.jpg',
                     neg_category_ids=[], not_exhaustive_category_ids=[])],
        categories=[dict(id=11, synset='person.n.01', name='person',
                         frequency='f'),
                    dict(id=12, synset='beef.n.01', name='cow',
                         frequency='f'),
                    dict(id=13, synset='aardvark.n.01', name='aardvark',
                         frequency='r'),
                    dict(id=14, synset='toaster.n.02', name='toaster',
                         frequency='c')],
        annotations=[dict(id=40, image_id=5, category_id=13),
                     dict(id=41, image_id=6, category_id=11),
                     dict(id=42, image_id=5, category_id=11)])
    out = cocofy.cocofy_lvis(lvis)
    assert out['info'] == {'v': 0.5}
    assert [(a['id'], a['image_id'], a['category_id'])
            for a in out['annotations']] == [(1, 6, 1), (2, 5, 1)]
    # cow (21) occurs only in the lists, toaster (80) nowhere
    assert [c['id'] for c in out['categories']] == [1, 21]
    assert out['categories'][1]['name'] == 'cow'
    assert out['images'][0]['neg_category_ids'] == [1, 21]
    assert out['images'][0]['not_exhaustive_category_ids'] == [21]
    assert out['images'][0]['file_name'] == '000000000005.jpg'
    only6 = cocofy.cocofy_lvis(lvis, image_ids=[6])
    assert [i['id'] for i in only6['images']] == [6]
    assert [c['id'] for c in only6['categories']] == [1]
    assert lvis['annotations'][0]['id'] == 40  # the input is not modified


def test_missing_cocofied_file_is_skipped(tmp_path):
    coco = dict(images=[], annotations=[],
                categories=[dict(id=1, name='person')])
    (tmp_path / 'coco.json').write_text(json.dumps(coco))
    metric = CocoAPStarMetric(ann_file=str(tmp_path / 'coco.json'),
                              metric='segm',
                              ap_star_ann_file=str(tmp_path / 'no.json'))
    assert metric.ap_star_ann_file is None
