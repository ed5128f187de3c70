"""How much of CenterMask-Point's mask error comes from its boxes.

    python projects/centermask_point_study/box_oracle.py CONFIG CHECKPOINT \
        [--expand 1.15 1.3] [--threads N] [--json OUT] \
        [--cfg-options KEY=VALUE ...]

A CenterMask-Point mask is the Local Shape resized to the object's box times
the Global Saliency cropped to it (Mask Assembly), so a wrong box gives a
wrong mask even when both maps are right. For every ground-truth object of
the test set this tool assembles the mask from the Local Shape vector at the
object's center cell and its class's saliency with four kinds of boxes:

* ``gt box``: the ground-truth box (what training uses);
* ``predicted box``: the box the Offset and Size heads predict at that cell
  (what inference uses when the peak is found at the right cell);
* ``gt center, predicted size``: the ground-truth center with that size;
* ``predicted box x f``: the predicted box enlarged by ``f`` about its
  center (``--expand``).

It prints the mean mask IoU with the ground-truth mask (at the original
image size, thresholded at the model's ``mask_thr``), the shares of objects
at IoU >= 0.75 and >= 0.5, and the IoU of the predicted box with the
ground-truth box. Peak finding and classification play no part: this
measures the masks and boxes alone.

The test pipeline must load the annotations after ``Resize`` (as the
CenterMask-Point configs do), so that boxes and masks are in the original
image frame.
"""
import argparse
import json
from typing import Dict, List, Sequence

import numpy as np
import torch
from mmdet.structures.bbox import bbox_overlaps
from mmengine.config import Config, DictAction
from mmengine.dataset import pseudo_collate
from mmengine.runner import load_checkpoint
from mmengine.structures import InstanceData
from torch import Tensor

from mmseginst.models.utils import decode_boxes
from mmseginst.registry import DATASETS, MODELS
from mmseginst.utils import register_all_modules


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--expand', type=float, nargs='*', default=[],
                        help='also try the predicted box enlarged by these '
                        'factors')
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--json', default=None, help='write the numbers here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of the config, key=value')
    args = parser.parse_args()
    bad = [f for f in args.expand if f <= 0]
    if bad:
        parser.error(f'--expand factors must be positive, got {bad}')
    return args


def scale_boxes(boxes: Tensor, factor: float) -> Tensor:
    """(N, 4) boxes scaled by ``factor`` about their centers."""
    centers = (boxes[:, :2] + boxes[:, 2:]) / 2
    half = (boxes[:, 2:] - boxes[:, :2]) / 2 * factor
    return torch.cat([centers - half, centers + half], dim=1)


def mask_ious(pred: Tensor, gt: Tensor) -> Tensor:
    """IoU of aligned boolean masks (N, H, W) -> (N,); 0 for two empty
    masks."""
    inter = (pred & gt).flatten(1).sum(1).float()
    union = (pred | gt).flatten(1).sum(1).float()
    return inter / union.clamp(min=1)


def oracle_boxes(head_outs: tuple, gt_boxes: Tensor, input_shape: tuple,
                 expand: Sequence[float] = ()) -> tuple:
    """The boxes to assemble each object's mask with, and its center cell.

    Args:
        head_outs (tuple): outputs of ``CenterMaskPointHead.forward`` for
            one image (lists of (1, ., h, w) maps; the last map is used).
        gt_boxes (Tensor): (N, 4) ground-truth boxes in the input frame.
        input_shape (tuple): (H, W) of the network input.
        expand (Sequence[float]): enlargement factors of the predicted box.

    Returns:
        tuple: dict name -> (N, 4) boxes in the input frame, and the
        (N,) long rows and columns of the center cells.
    """
    _, wh, offset, _ = head_outs
    feat_h, feat_w = wh[-1].shape[-2:]
    stride = (input_shape[1] / feat_w, input_shape[0] / feat_h)
    centers = torch.stack([(gt_boxes[:, 0] + gt_boxes[:, 2]) / 2 / stride[0],
                           (gt_boxes[:, 1] + gt_boxes[:, 3]) / 2 / stride[1]],
                          dim=1)  # in cells
    cols = centers[:, 0].long().clamp(0, feat_w - 1)
    rows = centers[:, 1].long().clamp(0, feat_h - 1)
    size = wh[-1][0][:, rows, cols].t()  # (N, 2) as (w, h) in cells
    off = offset[-1][0][:, rows, cols].t()
    predicted = decode_boxes(torch.stack([cols, rows], 1).float(), size, off,
                             stride)
    boxes = {
        'gt box': gt_boxes,
        'predicted box': predicted,
        'gt center, predicted size': decode_boxes(centers, size,
                                                  torch.zeros_like(off),
                                                  stride),
    }
    for f in expand:
        boxes[f'predicted box x {f:g}'] = scale_boxes(predicted, f)
    return boxes, rows, cols


@torch.no_grad()
def image_oracle(model, data: dict, expand: Sequence[float] = ()) -> dict:
    """Per-object mask IoUs (name -> (N,) array) and predicted-box IoUs of
    one preprocessed image (``model.data_preprocessor`` output, batch 1)."""
    sample = data['data_samples'][0]
    meta, gt = sample.metainfo, sample.gt_instances
    gt_masks = torch.as_tensor(gt.masks.to_ndarray()).bool()
    if tuple(gt_masks.shape[-2:]) != tuple(meta['ori_shape'][:2]):
        raise ValueError(
            f"ground-truth masks of {meta.get('img_path')} are "
            f"{tuple(gt_masks.shape[-2:])}, not the original size "
            f"{tuple(meta['ori_shape'][:2])}: load the annotations after "
            "Resize in the test pipeline")
    gt_boxes = gt.bboxes.tensor if hasattr(gt.bboxes, 'tensor') \
        else gt.bboxes
    scale = gt_boxes.new_tensor(meta.get('scale_factor', (1.0, 1.0)))
    gt_boxes = gt_boxes * scale.repeat(2)
    feats = model.extract_feat(data['inputs'])
    head_outs = model.bbox_head(feats)
    saliency, sizes = model.mask_head(feats)
    boxes, rows, cols = oracle_boxes(head_outs, gt_boxes,
                                     meta['batch_input_shape'], expand)
    shape_feats = head_outs[3][-1]
    shapes = None
    if shape_feats is not None:
        shapes = model.bbox_head.local_shape_at(
            shape_feats[0][:, rows, cols].t())
    out = {}
    for name, bx in boxes.items():
        results = InstanceData(bboxes=bx, labels=gt.labels,
                               scores=torch.ones(len(bx)))
        if shapes is not None:
            results.shape_preds = shapes
        masks = model.mask_head.predict_by_feat(
            saliency, sizes, [meta], rescale=True,
            results_list=[results])[0].masks
        out[name] = mask_ious(masks, gt_masks).numpy()
    box_iou = bbox_overlaps(boxes['predicted box'], gt_boxes, is_aligned=True)
    return out, box_iou.numpy()


def _stats(values: np.ndarray, **thresholds: float) -> dict:
    """Mean of ``values`` and, per keyword, the share at or above it (0 for
    no values)."""
    if values.size == 0:
        return dict(mean=0.0, **{k: 0.0 for k in thresholds})
    return dict(mean=float(values.mean()),
                **{k: float(np.mean(values >= t))
                   for k, t in thresholds.items()})


def summarise(ious: Dict[str, List[np.ndarray]],
              box_ious: List[np.ndarray]) -> dict:
    """Mean IoUs and shares over all objects: ``objects``, ``box_iou``
    (mean, at_075, at_09) and, per kind of box, ``mask_iou`` (mean, at_075,
    at_05)."""
    box = np.concatenate(box_ious) if box_ious else np.zeros(0)
    return dict(
        objects=int(box.size),
        box_iou=_stats(box, at_075=0.75, at_09=0.9),
        mask_iou={
            name: _stats(np.concatenate(parts), at_075=0.75, at_05=0.5)
            for name, parts in ious.items()
        })


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = MODELS.build(cfg.model)
    load_checkpoint(model, args.checkpoint, map_location='cpu')
    model.eval()
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    ious: Dict[str, List[np.ndarray]] = {}
    box_ious = []
    for i in range(len(dataset)):
        data = model.data_preprocessor(pseudo_collate([dataset[i]]), False)
        if len(data['data_samples'][0].gt_instances) == 0:
            continue
        per_box, box_iou = image_oracle(model, data, args.expand)
        for name, v in per_box.items():
            ious.setdefault(name, []).append(v)
        box_ious.append(box_iou)
    s = summarise(ious, box_ious)
    b = s['box_iou']
    print(f"{s['objects']} objects; IoU of the predicted box at the center "
          f"cell with the ground-truth box: mean {b['mean']:.3f}, "
          f">= 0.75 {b['at_075']:.1%}, >= 0.9 {b['at_09']:.1%}")
    print(f"{'mask assembled with':30s} {'mean IoU':>8s} {'>= 0.75':>8s} "
          f"{'>= 0.5':>8s}")
    for name, m in s['mask_iou'].items():
        print(f"{name:30s} {m['mean']:8.3f} {m['at_075']:8.1%} "
              f"{m['at_05']:8.1%}")
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(s, f, indent=1)


if __name__ == '__main__':
    main()
