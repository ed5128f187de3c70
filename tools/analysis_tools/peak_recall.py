"""Which ground-truth objects CenterMask-Point's heatmap finds, and what the
missed ones have in common.

    python tools/analysis_tools/peak_recall.py CONFIG CHECKPOINT \
        [--score-thr 0.1] [--threads N] [--json OUT] \
        [--cfg-options KEY=VALUE ...]

CenterMask-Point (like CenterNet) finds an object only if its heatmap has a
peak for it: a 3x3 local maximum (``test_cfg.local_maximum_kernel``) of the
object's class channel among the ``test_cfg.topk`` highest. For every
ground-truth object of the test set this tool looks at the peaks whose cell
centre lies inside the object's box (or at its centre cell, for boxes that
hold no cell centre) and reports:

* found: a peak of the object's class there, among the top-k, scoring at
  least ``--score-thr``; found with any class;
* shared: the object's best peak is also the best peak of another object of
  its class (only one of them can be matched);
* the box decoded at that peak (Offset and Size heads): its IoU with the
  object's box and ``log(predicted / true)`` of its width and height, per
  size range (is the Size head's range short for large objects?).

It also flags causes from the ground truth alone, and counts how many of the
objects with each flag were found:

* same cell: another object of its class has its centre in the same cell
  of the heatmap grid (the targets hold one peak for both);
* adjacent: another object of its class has its centre in a neighbouring
  cell, within the local-maximum window (two peaks there cannot both be
  local maxima unless they tie);
* in another's Gaussian: the centre of another object of its class lies
  inside this object's target Gaussian (``train_cfg.min_overlap`` radius),
  so their targets merge;
* border: its box touches the image border (within ``--border`` pixels of
  the original image);
* small: its box is less than 2 cells wide or high.

The test pipeline must load the annotations after ``Resize`` (as the
CenterMask-Point configs do): boxes are in the original image frame.
"""
import argparse
import json
import math
from typing import Dict, List, Sequence

import numpy as np
import torch
from mmdet.models.utils import gaussian_radius, get_local_maximum
from mmdet.structures.bbox import bbox_overlaps
from mmengine.config import Config, DictAction
from mmengine.dataset import pseudo_collate
from mmengine.runner import load_checkpoint
from torch import Tensor

from mmseginst.models.utils import decode_boxes
from mmseginst.registry import DATASETS, MODELS
from mmseginst.utils import register_all_modules

CAUSES = ('same cell', 'adjacent', "in another's Gaussian", 'border',
          'small')
# long side of the box in heatmap cells
SIZE_BINS = ((0, 8), (8, 16), (16, 32), (32, 64), (64, math.inf))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--score-thr', type=float, default=0.1,
                        help='a peak below this score does not count')
    parser.add_argument('--border', type=float, default=1.0,
                        help='pixels from the image edge that count as '
                        'touching the border')
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--json', default=None, help='write the numbers here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of the config, key=value')
    args = parser.parse_args()
    if not 0 <= args.score_thr < 1:
        parser.error(f'--score-thr must lie in [0, 1), got {args.score_thr}')
    return args


def _cell_centres(size: int, stride: float, device) -> Tensor:
    return (torch.arange(size, device=device, dtype=torch.float32) +
            0.5) * stride


def center_cells(boxes: Tensor, stride: tuple, feat_size: tuple) -> Tensor:
    """(N, 2) long ``(x, y)`` heatmap cells of the box centres, as the
    head's targets place them."""
    centers = torch.stack([(boxes[:, 0] + boxes[:, 2]) / 2 / stride[0],
                           (boxes[:, 1] + boxes[:, 3]) / 2 / stride[1]], 1)
    cells = centers.long()
    cells[:, 0].clamp_(0, feat_size[1] - 1)
    cells[:, 1].clamp_(0, feat_size[0] - 1)
    return cells


def box_regions(boxes: Tensor, stride: tuple, feat_size: tuple) -> Tensor:
    """(N, H, W) bool: the cells whose centre lies inside each box, and
    each box's centre cell."""
    feat_h, feat_w = feat_size
    xs = _cell_centres(feat_w, stride[0], boxes.device)
    ys = _cell_centres(feat_h, stride[1], boxes.device)
    in_x = (xs[None] >= boxes[:, 0:1]) & (xs[None] <= boxes[:, 2:3])
    in_y = (ys[None] >= boxes[:, 1:2]) & (ys[None] <= boxes[:, 3:4])
    regions = in_y[:, :, None] & in_x[:, None, :]
    cells = center_cells(boxes, stride, feat_size)
    regions[torch.arange(len(boxes)), cells[:, 1], cells[:, 0]] = True
    return regions


def object_peaks(heatmap: Tensor, wh: Tensor, offset: Tensor, boxes: Tensor,
                 labels: Tensor, stride: tuple, kernel: int = 3,
                 topk: int = 100) -> Dict[str, Tensor]:
    """The best heatmap peak inside each object's box and its decoded box.

    Args:
        heatmap (Tensor): (C, H, W) heatmap after sigmoid.
        wh, offset (Tensor): (2, H, W) Size (w, h in cells) and Offset maps.
        boxes (Tensor): (N, 4) ground-truth boxes in the input frame.
        labels (Tensor): (N,) their classes.
        stride (tuple): input pixels per cell ``(x, y)``.
        kernel (int): local-maximum window, as ``test_cfg``.
        topk (int): peaks kept at test time, as ``test_cfg``.

    Returns:
        dict: (N,) tensors ``score`` (best local maximum of the object's
        class inside its box, 0 if none), ``in_topk`` (that peak is among the
        ``topk`` highest of the image), ``score_any_class``, ``shared``
        (another object of its class has the same best peak), ``box_iou``
        (of the box decoded at that peak), ``log_w`` and ``log_h``
        (``log(predicted / true)`` of the size).
    """
    num = len(boxes)
    peaks = get_local_maximum(heatmap[None], kernel=kernel)[0]
    k = min(topk, peaks.numel())
    kth = peaks.flatten().topk(k).values[-1]
    regions = box_regions(boxes, stride, peaks.shape[1:])
    own = (peaks[labels] * regions).flatten(1)  # (N, H*W)
    score, flat = own.max(1)
    any_class = (peaks.max(0).values[None] * regions).flatten(1).max(1)[0]
    key = labels * own.shape[1] + flat
    shared = (key[:, None] == key[None]).sum(1) > 1
    feat_w = peaks.shape[2]
    cells = torch.stack([flat % feat_w, flat // feat_w], 1)
    pred = decode_boxes(cells.float(), wh[:, cells[:, 1], cells[:, 0]].t(),
                        offset[:, cells[:, 1], cells[:, 0]].t(), stride)
    pred_size = (pred[:, 2:] - pred[:, :2]).clamp(min=1e-3)
    true_size = (boxes[:, 2:] - boxes[:, :2]).clamp(min=1e-3)
    log_ratio = (pred_size / true_size).log()
    box_iou = bbox_overlaps(pred, boxes, is_aligned=True) if num else \
        boxes.new_zeros(0)
    return dict(score=score, in_topk=(score >= kth) & (score > 0),
                score_any_class=any_class, shared=shared, box_iou=box_iou,
                log_w=log_ratio[:, 0], log_h=log_ratio[:, 1])


def object_causes(boxes: Tensor, labels: Tensor, stride: tuple,
                  feat_size: tuple, content: tuple, min_overlap: float,
                  kernel: int = 3, border: float = 1.0) -> Dict[str, Tensor]:
    """Flags from the ground truth alone (see the module docstring).

    Args:
        boxes (Tensor): (N, 4) boxes in the input frame.
        labels (Tensor): (N,) classes.
        stride (tuple): input pixels per cell ``(x, y)``.
        feat_size (tuple): (H, W) of the heatmap.
        content (tuple): ``(x1, y1, x2, y2)`` of the image in the input
            frame (the border is measured from it).
        min_overlap (float): the targets' Gaussian ``min_overlap``.
        kernel (int): local-maximum window.
        border (float): distance to the edge, in input pixels, that counts
            as touching.

    Returns:
        dict: cause name (:data:`CAUSES`) -> (N,) bool.
    """
    cells = center_cells(boxes, stride, feat_size)
    same_class = labels[:, None] == labels[None]
    same_class.fill_diagonal_(False)
    dist = (cells[:, None] - cells[None]).abs().max(-1).values
    sizes = torch.stack([(boxes[:, 2] - boxes[:, 0]) / stride[0],
                         (boxes[:, 3] - boxes[:, 1]) / stride[1]], 1)
    radii = boxes.new_tensor([
        max(0, int(gaussian_radius([float(h), float(w)], min_overlap)))
        for w, h in sizes.tolist()
    ])
    euclid = (cells[:, None] - cells[None]).float().norm(dim=-1)
    x1, y1, x2, y2 = content
    return {
        'same cell': (same_class & (dist == 0)).any(1),
        'adjacent': (same_class & (dist > 0) &
                     (dist <= kernel // 2)).any(1),
        "in another's Gaussian": (same_class &
                                  (euclid <= radii[:, None])).any(1),
        'border': (boxes[:, 0] <= x1 + border) | (boxes[:, 1] <= y1 + border)
        | (boxes[:, 2] >= x2 - border) | (boxes[:, 3] >= y2 - border),
        'small': (sizes < 2).any(1),
    }


def input_frame_boxes(sample) -> Tensor:
    """Ground-truth boxes of a preprocessed sample in the network input
    frame; the annotations must have been loaded after ``Resize``."""
    meta, gt = sample.metainfo, sample.gt_instances
    if 'masks' in gt and (gt.masks.height, gt.masks.width) != tuple(
            meta['ori_shape'][:2]):
        raise ValueError(
            f"ground-truth masks of {meta.get('img_path')} are not at the "
            f"original size {tuple(meta['ori_shape'][:2])}: load the "
            'annotations after Resize in the test pipeline')
    boxes = gt.bboxes.tensor if hasattr(gt.bboxes, 'tensor') else gt.bboxes
    scale = boxes.new_tensor(meta.get('scale_factor', (1.0, 1.0)))
    return boxes * scale.repeat(2)


@torch.no_grad()
def image_records(model, data: dict, score_thr: float, border: float,
                  min_overlap: float) -> Dict[str, np.ndarray]:
    """Per-object peaks and causes of one preprocessed image (batch 1)."""
    sample = data['data_samples'][0]
    meta = sample.metainfo
    boxes = input_frame_boxes(sample)
    labels = sample.gt_instances.labels
    heat, wh, offset, _ = model.bbox_head(model.extract_feat(data['inputs']))
    heat, wh, offset = heat[-1][0], wh[-1][0], offset[-1][0]
    inp_h, inp_w = meta['batch_input_shape']
    feat_size = tuple(heat.shape[1:])
    stride = (inp_w / feat_size[1], inp_h / feat_size[0])
    test_cfg = model.bbox_head.test_cfg
    kernel = test_cfg['local_maximum_kernel']
    peaks = object_peaks(heat, wh, offset, boxes, labels, stride, kernel,
                         test_cfg['topk'])
    scale = meta.get('scale_factor', (1.0, 1.0))
    ori_h, ori_w = meta['ori_shape'][:2]
    content = (0.0, 0.0, ori_w * scale[0], ori_h * scale[1])
    causes = object_causes(boxes, labels, stride, feat_size, content,
                           min_overlap, kernel, border * scale[0])
    out = {k: v.cpu().numpy() for k, v in peaks.items()}
    out.update({k: v.cpu().numpy() for k, v in causes.items()})
    out['found'] = out['in_topk'] & (out['score'] >= score_thr)
    long_side = torch.maximum((boxes[:, 2] - boxes[:, 0]) / stride[0],
                              (boxes[:, 3] - boxes[:, 1]) / stride[1])
    out['long_side_cells'] = long_side.cpu().numpy()
    return out


def _share(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else 0.0


def summarise(records: Sequence[Dict[str, np.ndarray]],
              score_thr: float) -> dict:
    """Counts over all objects: found, per cause and per size range."""
    if records:
        rec = {k: np.concatenate([r[k] for r in records]) for k in records[0]}
    else:
        rec = {}
    found = rec.get('found', np.zeros(0, bool))
    out = dict(objects=int(found.size),
               score_thr=score_thr,
               found=int(found.sum()))
    if not found.size:
        return out
    any_found = rec['in_topk'] & (rec['score_any_class'] >= score_thr)
    missed = ~found
    out.update(
        found_any_class=int((any_found | found).sum()),
        shared=int((found & rec['shared']).sum()),
        in_topk_below_thr=int((rec['in_topk'] & missed).sum()),
        outside_topk=int((~rec['in_topk'] & (rec['score'] >= score_thr)
                          & (rec['score'] > 0)).sum()),
        missed_score_mean=_share(rec['score'][missed]),
        found_score_mean=_share(rec['score'][found]),
        box_iou_found=dict(mean=_share(rec['box_iou'][found]),
                           at_05=_share(rec['box_iou'][found] >= 0.5),
                           at_075=_share(rec['box_iou'][found] >= 0.75)))
    out['causes'] = {
        c: dict(objects=int(rec[c].sum()), found=int((rec[c] & found).sum()))
        for c in CAUSES
    }
    out['sizes'] = []
    for lo, hi in SIZE_BINS:
        sel = (rec['long_side_cells'] >= lo) & (rec['long_side_cells'] < hi)
        f = sel & found
        out['sizes'].append(
            dict(cells=[lo, hi if math.isfinite(hi) else None],
                 objects=int(sel.sum()),
                 found=int(f.sum()),
                 box_iou=_share(rec['box_iou'][f]),
                 log_w=_share(rec['log_w'][f]),
                 log_h=_share(rec['log_h'][f])))
    return out


def format_report(s: dict) -> str:
    n = s['objects']
    lines = [f"{n} objects; a peak of the object's class inside its box, "
             f"in the top-k, score >= {s['score_thr']}: {s['found']} "
             f"({s['found'] / max(n, 1):.1%})"]
    if not n:
        return lines[0]
    b = s['box_iou_found']
    lines += [
        f"with any class: {s['found_any_class']}; found but sharing their "
        f"peak with another object of their class: {s['shared']}; missed "
        f"with a peak in the top-k below the threshold: "
        f"{s['in_topk_below_thr']}, above it outside the top-k: "
        f"{s['outside_topk']}",
        f"mean peak score: found {s['found_score_mean']:.3f}, missed "
        f"{s['missed_score_mean']:.3f} (best own-class peak in the box)",
        f"box decoded at the peak of found objects: IoU mean {b['mean']:.3f},"
        f" >= 0.5 {b['at_05']:.1%}, >= 0.75 {b['at_075']:.1%}",
        f"{'cause':24s} {'objects':>8s} {'found':>8s} {'missed':>8s}"
    ]
    for c, v in s['causes'].items():
        lines.append(f"{c:24s} {v['objects']:8d} {v['found']:8d} "
                     f"{v['objects'] - v['found']:8d}")
    lines.append(f"{'long side (cells)':24s} {'objects':>8s} {'found':>8s} "
                 f"{'box IoU':>8s} {'log w':>8s} {'log h':>8s}")
    for v in s['sizes']:
        lo, hi = v['cells']
        name = f'{lo}-{hi}' if hi is not None else f'>= {lo}'
        lines.append(f"{name:24s} {v['objects']:8d} {v['found']:8d} "
                     f"{v['box_iou']:8.3f} {v['log_w']:8.3f} "
                     f"{v['log_h']:8.3f}")
    return '\n'.join(lines)


def run(model, dataset, score_thr: float, border: float,
        min_overlap: float) -> List[Dict[str, np.ndarray]]:
    records = []
    for i in range(len(dataset)):
        data = model.data_preprocessor(pseudo_collate([dataset[i]]), False)
        if len(data['data_samples'][0].gt_instances) == 0:
            continue
        records.append(
            image_records(model, data, score_thr, border, min_overlap))
    return records


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = MODELS.build(cfg.model)
    head = getattr(model, 'bbox_head', None)
    if not hasattr(head, 'min_overlap'):
        raise SystemExit(f'peak_recall: {args.config} is not a CenterMask-'
                         'Point (heatmap) model: its bbox_head is '
                         f'{type(head).__name__}')
    load_checkpoint(model, args.checkpoint, map_location='cpu')
    model.eval()
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    records = run(model, dataset, args.score_thr, args.border,
                  model.bbox_head.min_overlap)
    summary = summarise(records, args.score_thr)
    print(format_report(summary))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(summary, f, indent=1)


if __name__ == '__main__':
    main()
