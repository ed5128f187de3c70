"""How much of a model's AP is lost to classification: COCO AP with and
without categories, and a per-object confusion matrix.

    python tools/test.py CONFIG CHECKPOINT --out results.pkl
    python tools/analysis_tools/class_confusion.py results.pkl ANN_FILE \
        [--iou-type bbox|segm] [--iou-thr 0.5] [--json OUT]

For every ground-truth object (crowd objects skipped) it looks at the
detections that overlap it with IoU >= ``--iou-thr`` (box IoU, or mask IoU
with ``--iou-type segm``) and counts:

* found: at least one such detection, whatever its class;
* found with its class: one of them has the object's class;
* outscored by a wrong class: it has one of its class, and a detection of
  another class overlapping it scores higher;
* the confusion matrix: rows are the objects' classes, columns the class of
  the highest-scoring overlapping detection, the last column "missed";
* localisation apart from ranking: the mean over objects of the best IoU
  reached by any detection of the object's class (0 when there is none),
  and the share of objects where it is >= 0.75. Two models with the same
  numbers here and different AP differ in how they score, not in how well
  they cover the objects.

With ``--iou-type segm`` masks are ranked by ``mask_scores`` where the
results have them (CenterMask: detection score x MaskIoU), as mmdet's
CocoMetric does; boxes by ``scores``.

COCO AP is computed twice by pycocotools, with ``useCats=1`` (the usual AP)
and ``useCats=0`` (class-agnostic: every detection may match every object).
A large gap with a small gap in class-agnostic AP to another model says
that the boxes or masks are good and the labels are not.
"""
import argparse
import contextlib
import io
import json
import os.path as osp
import pickle
from typing import Dict, List

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from mmseginst.utils.results_io import coco_ious, results_to_coco
from mmseginst.utils.safe_pickle import load_results_pickle


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        'results',
        help='pickle written by tools/test.py --out (read with an allowlist '
        'of data types: a pickle that references anything else is refused)')
    p.add_argument('ann_file', help='COCO-format ground truth of the set')
    p.add_argument('--iou-type', choices=['bbox', 'segm'], default='bbox')
    p.add_argument('--iou-thr', type=float, default=0.5)
    p.add_argument('--json', help='also write the numbers to this file')
    return p.parse_args()


def coco_ap(coco_gt: COCO, coco_dt: COCO, iou_type: str,
            use_cats: bool) -> float:
    """COCO AP@[.5:.95] of the loaded results ``coco_dt``, per category
    or class-agnostic."""
    with contextlib.redirect_stdout(io.StringIO()):
        ev = COCOeval(coco_gt, coco_dt, iou_type)
        ev.params.useCats = int(use_cats)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return float(max(ev.stats[0], 0.0))


def confusion(coco_gt: COCO, dets: List[dict], iou_type: str,
              iou_thr: float) -> Dict:
    """Per-object counts and the confusion matrix described above."""
    cat_ids = sorted(coco_gt.getCatIds())
    col = {c: i for i, c in enumerate(cat_ids)}
    n = len(cat_ids)
    matrix = np.zeros((n, n + 1), dtype=np.int64)
    by_img: Dict[int, List[dict]] = {}
    for d in dets:
        by_img.setdefault(d['image_id'], []).append(d)
    total = found = found_cls = outscored = 0
    best_iou: List[float] = []  # per object, best IoU with its class
    for img_id in coco_gt.getImgIds():
        gts = [
            a for a in coco_gt.loadAnns(coco_gt.getAnnIds(imgIds=img_id))
            if not a.get('iscrowd', 0)
        ]
        if not gts:
            continue
        img_dets = by_img.get(img_id, [])
        total += len(gts)
        if not img_dets:
            for a in gts:
                matrix[col[a['category_id']], n] += 1
            best_iou += [0.0] * len(gts)
            continue
        ious = coco_ious(coco_gt, gts, img_dets, iou_type)
        scores = np.array([d['score'] for d in img_dets])
        cats = np.array([d['category_id'] for d in img_dets])
        for g, a in enumerate(gts):
            same = cats == a['category_id']
            best_iou.append(float(ious[g][same].max()) if same.any() else 0.)
            hit = ious[g] >= iou_thr
            row = col[a['category_id']]
            if not hit.any():
                matrix[row, n] += 1
                continue
            found += 1
            best = np.flatnonzero(hit)[np.argmax(scores[hit])]
            matrix[row, col[int(cats[best])]] += 1
            right = hit & same
            wrong = hit & ~same
            if right.any():
                found_cls += 1
                if wrong.any() and scores[wrong].max() > scores[right].max():
                    outscored += 1
    names = [c['name'] for c in coco_gt.loadCats(cat_ids)]
    reach = np.array(best_iou)
    return dict(objects=total,
                found=found,
                found_with_class=found_cls,
                outscored_by_wrong_class=outscored,
                mean_best_iou_with_class=float(reach.mean()) if total else 0.,
                share_best_iou_with_class_075=float((reach >= 0.75).mean())
                if total else 0.,
                classes=names,
                matrix=matrix.tolist())


def analyse(results: List[dict],
            ann_file: str,
            iou_type: str = 'bbox',
            iou_thr: float = 0.5) -> Dict:
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO(ann_file)
    dets = results_to_coco(results, sorted(coco_gt.getCatIds()), iou_type)
    out = dict(iou_type=iou_type,
               iou_thr=iou_thr,
               ap=0.0,
               ap_class_agnostic=0.0)
    if dets:
        with contextlib.redirect_stdout(io.StringIO()):
            coco_dt = coco_gt.loadRes(dets)  # loaded once for both APs
        out['ap'] = coco_ap(coco_gt, coco_dt, iou_type, True)
        out['ap_class_agnostic'] = coco_ap(coco_gt, coco_dt, iou_type, False)
    out.update(confusion(coco_gt, dets, iou_type, iou_thr))
    return out


def format_report(r: Dict) -> str:
    lines = [
        f"{r['iou_type']} AP {r['ap']:.3f}, class-agnostic "
        f"{r['ap_class_agnostic']:.3f}",
        f"objects {r['objects']}: found (IoU >= {r['iou_thr']}) "
        f"{r['found']}, with their class {r['found_with_class']}, "
        f"of which outscored by a wrong class "
        f"{r['outscored_by_wrong_class']}",
        f"best IoU with a detection of the object's class: mean "
        f"{r['mean_best_iou_with_class']:.3f}, >= 0.75 for "
        f"{r['share_best_iou_with_class_075']:.1%} of the objects",
        'confusion (rows: object class; columns: class of the best-scoring '
        'overlapping detection, then missed)'
    ]
    width = max(len(c) for c in r['classes'] + ['missed']) + 1
    lines.append(' ' * width + ''.join(f'{c:>{width}}'
                                       for c in r['classes'] + ['missed']))
    for name, row in zip(r['classes'], r['matrix']):
        lines.append(f'{name:>{width}}' + ''.join(f'{v:>{width}}'
                                                  for v in row))
    return '\n'.join(lines)


def main():
    args = parse_args()
    for path in (args.results, args.ann_file):
        if not osp.isfile(path):
            raise SystemExit(f'class_confusion: no such file: {path}')
    try:
        # data types only: a results file from elsewhere cannot run code
        results = load_results_pickle(args.results)
    except pickle.UnpicklingError as exc:
        raise SystemExit(f'class_confusion: {exc}')
    if not isinstance(results, list):
        raise SystemExit(f'class_confusion: {args.results} holds a '
                         f'{type(results).__name__}, not the list that '
                         'tools/test.py --out writes')
    report = analyse(results, args.ann_file, args.iou_type, args.iou_thr)
    print(format_report(report))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(report, f, indent=1)


if __name__ == '__main__':
    main()
