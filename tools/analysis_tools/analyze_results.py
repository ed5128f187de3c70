"""Draw the images a model does best and worst on, ranked by their AP.

    python tools/test.py CONFIG CHECKPOINT --out results.pkl
    python tools/analysis_tools/analyze_results.py CONFIG results.pkl \
        SHOW_DIR [--topk 20] [--show-score-thr 0] [--metric segm|bbox] \
        [--scale S] [--show] [--wait-time 0] [--classes NAME ...] \
        [--cfg-options ...]

mmdet's tool and flags. Each image of the config's test set is scored by
its own COCO AP@[.5:.95] (mask AP by default, ``--metric bbox`` for box
AP; pycocotools, evaluated once for all images and accumulated per
image). An image without objects scores 0 when it has detections and is
left out otherwise. The ``--topk`` best go to ``SHOW_DIR/good`` and the
worst to ``SHOW_DIR/bad``, drawn ground truth | prediction and named
``<image>_<AP>.<ext>``; ``SHOW_DIR/per_image_ap.json`` lists every score.
"""
import argparse
import contextlib
import copy
import io
import json
import os
import os.path as osp
from typing import Dict, List

import mmcv
import numpy as np
import pycocotools.mask as mask_util
import torch
from mmengine.config import DictAction
from mmengine.structures import InstanceData
from mmengine.utils import ProgressBar
from pycocotools.cocoeval import COCOeval

from mmseginst.utils.classes import read_tool_config
from mmseginst.utils.results_io import (label_cat_ids, load_results,
                                        results_to_coco, test_set_of)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='Best and worst images')
    p.add_argument('config', help='config of the results')
    p.add_argument('prediction_path', help='tools/test.py --out pickle')
    p.add_argument('show_dir', help='folder for the pictures')
    p.add_argument('--show', action='store_true', help='show the pictures')
    p.add_argument('--wait-time', type=float, default=0,
                   help='seconds each picture is shown')
    p.add_argument('--topk', type=int, default=20,
                   help='how many best and worst images to draw')
    p.add_argument('--show-score-thr', type=float, default=0,
                   help='draw detections scoring at least this')
    p.add_argument('--metric', choices=['segm', 'bbox'], default='segm',
                   help='mask AP (default) or box AP')
    p.add_argument('--scale', type=float, help='drawing scale')
    p.add_argument('--classes', nargs='+', metavar='NAME',
                   help='class names, as given to tools/test.py --classes')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='override settings of the config')
    return p.parse_args(argv)


def per_image_ap(coco, dets: List[dict], iou_type: str,
                 img_ids: List[int]) -> Dict[int, float]:
    """COCO AP@[.5:.95] (all areas, 100 detections) of each image."""
    with_dets = {d['image_id'] for d in dets}
    scores = {}
    if dets:
        with contextlib.redirect_stdout(io.StringIO()):
            coco_dt = coco.loadRes(copy.deepcopy(dets))
            ev = COCOeval(coco, coco_dt, iou_type)
            ev.params.imgIds = list(img_ids)
            ev.evaluate()
    progress = ProgressBar(len(img_ids))
    for img_id in img_ids:
        has_gt = bool(coco.getAnnIds(imgIds=img_id, iscrowd=False))
        if not has_gt:
            if img_id in with_dets:
                scores[img_id] = 0.0
        elif img_id not in with_dets:
            scores[img_id] = 0.0
        else:
            scores[img_id] = _image_ap(ev, img_ids.index(img_id))
        progress.update()
    return scores


def _image_ap(ev: COCOeval, index: int) -> float:
    """AP of the ``index``-th image of an evaluated ``ev``: its own
    per-image evaluations accumulated (evaluate() orders them by category,
    area range, image)."""
    whole = ev._paramsEval
    num_imgs, num_areas = len(whole.imgIds), len(whole.areaRng)
    num_cats = len(whole.catIds) if whole.useCats else 1
    one = copy.copy(ev)  # shares the ground truth, detections and IoUs
    one._paramsEval = copy.deepcopy(whole)
    one._paramsEval.imgIds = [whole.imgIds[index]]
    one.params = copy.deepcopy(one._paramsEval)
    one.evalImgs = [
        ev.evalImgs[k * num_areas * num_imgs + a * num_imgs + index]
        for k in range(num_cats) for a in range(num_areas)
    ]
    with contextlib.redirect_stdout(io.StringIO()):
        one.accumulate()
    precision = one.eval['precision'][:, :, :, 0, -1]
    valid = precision[precision > -1]
    return float(valid.mean()) if valid.size else 0.0


def _instances(boxes, labels, masks, scores=None) -> InstanceData:
    out = InstanceData()
    out.bboxes = torch.as_tensor(np.asarray(boxes, np.float32).reshape(-1, 4))
    out.labels = torch.as_tensor(np.asarray(labels, np.int64))
    out.masks = torch.as_tensor(np.asarray(masks, bool))
    if scores is not None:
        out.scores = torch.as_tensor(np.asarray(scores, np.float32))
    return out


def data_sample(coco, result: dict, cat_ids: List[int]):
    """A DetDataSample with the image's ground truth and predictions."""
    from mmdet.structures import DetDataSample
    info = coco.loadImgs(result['img_id'])[0]
    hw = (info['height'], info['width'])
    label = {c: i for i, c in enumerate(cat_ids)}
    anns = [a for a in coco.loadAnns(coco.getAnnIds(
        imgIds=result['img_id'], catIds=cat_ids)) if not a.get('iscrowd')]
    sample = DetDataSample()
    sample.gt_instances = _instances(
        [[x, y, x + w, y + h] for x, y, w, h in (a['bbox'] for a in anns)],
        [label[a['category_id']] for a in anns],
        np.zeros((0, *hw), bool) if not anns else
        [coco.annToMask(a) for a in anns])
    pred = result['pred_instances']
    masks = pred.get('masks', [])
    if len(masks) and isinstance(masks[0], dict):
        masks = mask_util.decode(list(masks)).transpose(2, 0, 1)
    elif not len(masks):
        masks = np.zeros((0, *hw), bool)
    sample.pred_instances = _instances(pred['bboxes'], pred['labels'],
                                       masks, pred['scores'])
    return sample, info['file_name']


def draw(ranked, results, coco, cat_ids, img_dir, out_dir, visualizer,
         args) -> None:
    os.makedirs(out_dir, exist_ok=True)
    by_id = {r['img_id']: r for r in results}
    for img_id, ap in ranked:
        sample, file_name = data_sample(coco, by_id[img_id], cat_ids)
        image = mmcv.imread(osp.join(img_dir, file_name), channel_order='rgb')
        stem, ext = osp.splitext(osp.basename(file_name))
        visualizer.add_datasample(
            stem, image, sample, show=args.show, wait_time=args.wait_time,
            pred_score_thr=args.show_score_thr,
            out_file=osp.join(out_dir, f'{stem}_{ap:.3f}{ext}'))


def main(argv=None):
    args = parse_args(argv)
    cfg = read_tool_config(args.config, args.cfg_options, args.classes)
    results = load_results(args.prediction_path)
    _, classes, coco, img_dir = test_set_of(cfg)
    cat_ids = label_cat_ids(coco, classes)
    dets = results_to_coco(results, cat_ids, args.metric)
    scores = per_image_ap(coco, dets, args.metric,
                          [r['img_id'] for r in results])
    ranked = sorted(scores.items(), key=lambda item: -item[1])
    os.makedirs(args.show_dir, exist_ok=True)
    with open(osp.join(args.show_dir, 'per_image_ap.json'), 'w') as f:
        json.dump(dict(metric=args.metric, ap={
            str(k): v for k, v in ranked}), f, indent=1)

    from mmseginst.registry import VISUALIZERS
    from mmseginst.visualization import scaled_visualizer_cfg
    vis_cfg = scaled_visualizer_cfg(cfg.visualizer, args.scale)
    vis_cfg['name'] = 'analyze_results'
    visualizer = VISUALIZERS.build(vis_cfg)
    visualizer.dataset_meta = dict(classes=classes)
    topk = min(args.topk, len(ranked))
    draw(ranked[:topk], results, coco, cat_ids, img_dir,
         osp.join(args.show_dir, 'good'), visualizer, args)
    draw(ranked[::-1][:topk], results, coco, cat_ids, img_dir,
         osp.join(args.show_dir, 'bad'), visualizer, args)
    print(f'\n{len(ranked)} images ranked by {args.metric} AP; best '
          f'{ranked[0][1] if ranked else 0:.3f}, worst '
          f'{ranked[-1][1] if ranked else 0:.3f}: {args.show_dir}')


if __name__ == '__main__':
    main()
