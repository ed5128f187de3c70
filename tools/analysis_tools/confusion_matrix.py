"""Confusion matrix of a detector's results on its test set.

    python tools/test.py CONFIG CHECKPOINT --out results.pkl
    python tools/analysis_tools/confusion_matrix.py CONFIG results.pkl \
        SAVE_DIR [--score-thr 0.3] [--tp-iou-thr 0.5] [--nms-iou-thr T] \
        [--iou-type bbox|segm] [--color-theme plasma] [--show] \
        [--classes NAME ...] [--cfg-options ...]

mmdet's tool, flags and counting rule, on the annotation file of the
config's test set, with mask IoU as an option (``--iou-type segm``). For
each image, every detection scoring at least ``--score-thr`` is compared
with the ground-truth objects (crowd objects skipped): it adds one to cell
(object class, detection class) for each object it overlaps with IoU >=
``--tp-iou-thr``, or to (background, detection class) when it overlaps
none; each object that no detection of its class overlaps adds one to
(object class, background). The last row and column are "background".

Writes ``SAVE_DIR/confusion_matrix.png`` (rows normalised to percent, as
mmdet plots it) and ``SAVE_DIR/confusion_matrix.json`` (the counts).
``class_confusion.py`` answers another question: per object, which class
the best-scoring overlapping detection has, and the AP lost to labels.
"""
import argparse
import json
import os
import os.path as osp
from typing import List, Sequence

import numpy as np
from mmengine.config import DictAction
from mmengine.utils import ProgressBar

from mmseginst.utils.classes import read_tool_config
from mmseginst.utils.results_io import (coco_ious, label_cat_ids,
                                        load_results, results_to_coco,
                                        test_set_of)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='Confusion matrix of results')
    p.add_argument('config', help='config of the results')
    p.add_argument('prediction_path', help='tools/test.py --out pickle')
    p.add_argument('save_dir', help='folder for the PNG and JSON')
    p.add_argument('--show', action='store_true', help='show the matrix')
    p.add_argument('--color-theme', default='plasma',
                   help='matplotlib colour map')
    p.add_argument('--score-thr', type=float, default=0.3,
                   help='detections scoring less are ignored')
    p.add_argument('--tp-iou-thr', type=float, default=0.5,
                   help='IoU from which a detection overlaps an object')
    p.add_argument('--nms-iou-thr', type=float, default=None,
                   help='per-class box NMS before counting (default: none)')
    p.add_argument('--iou-type', choices=['bbox', 'segm'], default='bbox',
                   help='box IoU (mmdet) or mask IoU')
    p.add_argument('--classes', nargs='+', metavar='NAME',
                   help='class names, as given to tools/test.py --classes')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='override settings of the config')
    return p.parse_args(argv)


def _nms(dets: List[dict], iou_thr: float) -> List[dict]:
    """Per-class box NMS of one image's COCO-format detections."""
    import torch
    from mmcv.ops import batched_nms
    if not dets:
        return dets
    xywh = torch.tensor([d['bbox'] for d in dets], dtype=torch.float32)
    boxes = torch.cat([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], dim=1)
    scores = torch.tensor([d['score'] for d in dets])
    cats = torch.tensor([d['category_id'] for d in dets])
    _, keep = batched_nms(boxes, scores, cats,
                          dict(type='nms', iou_threshold=iou_thr))
    return [dets[i] for i in keep.tolist()]


def count_image(matrix: np.ndarray, gt_rows: Sequence[int],
                det_cols: Sequence[int], ious: np.ndarray,
                tp_iou_thr: float) -> None:
    """Add one image to ``matrix`` ((C+1, C+1), last = background).

    Args:
        gt_rows: Class index of each object (G,).
        det_cols: Class index of each detection, already above the score
            threshold (D,).
        ious: (G, D) IoU of objects and detections.
    """
    background = matrix.shape[0] - 1
    found = np.zeros(len(gt_rows), dtype=bool)
    for j, col in enumerate(det_cols):
        hits = np.flatnonzero(ious[:, j] >= tp_iou_thr) if len(gt_rows) \
            else []
        for i in hits:
            matrix[gt_rows[i], col] += 1
            found[i] |= gt_rows[i] == col
        if len(hits) == 0:
            matrix[background, col] += 1
    for i, row in enumerate(gt_rows):
        if not found[i]:
            matrix[row, background] += 1


def confusion_matrix(results, coco, classes, args) -> np.ndarray:
    cat_ids = label_cat_ids(coco, classes)
    column = {c: i for i, c in enumerate(cat_ids)}
    dets = results_to_coco(results, cat_ids, args.iou_type)
    by_image = {}
    for d in dets:
        if d['score'] >= args.score_thr:
            by_image.setdefault(d['image_id'], []).append(d)
    matrix = np.zeros((len(classes) + 1, ) * 2, dtype=np.int64)
    progress = ProgressBar(len(results))
    for res in results:
        img_dets = by_image.get(res['img_id'], [])
        if args.nms_iou_thr is not None:
            img_dets = _nms(img_dets, args.nms_iou_thr)
        gts = [a for a in coco.loadAnns(coco.getAnnIds(
            imgIds=res['img_id'], catIds=cat_ids)) if not a.get('iscrowd')]
        ious = coco_ious(coco, gts, img_dets, args.iou_type) if gts and \
            img_dets else np.zeros((len(gts), len(img_dets)))
        count_image(matrix, [column[a['category_id']] for a in gts],
                    [column[d['category_id']] for d in img_dets], ious,
                    args.tp_iou_thr)
        progress.update()
    return matrix


def plot_confusion_matrix(matrix: np.ndarray, labels: Sequence[str],
                          out_file: str, color_theme: str = 'plasma',
                          show: bool = False) -> None:
    """Rows normalised to percent, each cell written in it (mmdet's
    picture)."""
    import matplotlib
    if not show:
        matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    sums = matrix.sum(axis=1, keepdims=True)
    percent = matrix / np.maximum(sums, 1) * 100
    n = len(labels)
    size = max(4.0, 0.6 * n + 2)
    fig, ax = plt.subplots(figsize=(size, size * 0.85), dpi=120)
    image = ax.imshow(percent, cmap=plt.get_cmap(color_theme), vmin=0,
                      vmax=100)
    fig.colorbar(image, ax=ax)
    ax.set_title('Normalized Confusion Matrix')
    ax.set_xlabel('Prediction')
    ax.set_ylabel('Ground Truth')
    ax.set_xticks(np.arange(n), labels, rotation=45, ha='right')
    ax.set_yticks(np.arange(n), labels)
    for i in range(n):
        for j in range(n):
            if sums[i, 0]:
                ax.text(j, i, f'{percent[i, j]:.0f}', ha='center',
                        va='center', color='w', fontsize=7)
    fig.tight_layout()
    fig.savefig(out_file)
    if show:
        plt.show()
    plt.close(fig)


def main(argv=None):
    args = parse_args(argv)
    cfg = read_tool_config(args.config, args.cfg_options, args.classes)
    results = load_results(args.prediction_path)
    _, classes, coco, _ = test_set_of(cfg)
    matrix = confusion_matrix(results, coco, classes, args)
    labels = list(classes) + ['background']
    os.makedirs(args.save_dir, exist_ok=True)
    png = osp.join(args.save_dir, 'confusion_matrix.png')
    plot_confusion_matrix(matrix, labels, png, args.color_theme, args.show)
    with open(osp.join(args.save_dir, 'confusion_matrix.json'), 'w') as f:
        json.dump(dict(labels=labels, rows='ground truth',
                       columns='prediction', matrix=matrix.tolist(),
                       iou_type=args.iou_type, score_thr=args.score_thr,
                       tp_iou_thr=args.tp_iou_thr), f, indent=1)
    width = max(len(x) for x in labels) + 1
    print('\n' + ' ' * width + ''.join(f'{x:>{width}}' for x in labels))
    for name, row in zip(labels, matrix):
        print(f'{name:>{width}}' + ''.join(f'{v:>{width}}' for v in row))
    print(f'saved {png}')


if __name__ == '__main__':
    main()
