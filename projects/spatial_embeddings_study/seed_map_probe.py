"""Can a SpatialEmbeddings model learn class-specific seed maps, and when?

    python projects/spatial_embeddings_study/seed_map_probe.py \
        [--config CONFIG] [--iters 800] [--probe-every 200] [--size 64] \
        [--batch 4] [--lr 1e-3] [--seed 0] [--threads N] [--json OUT]

Trains the model of ``--config`` (its backbone, neck and head; the config's
``num_classes`` is replaced by 2) with AdamW on synthetic images where the
class is the easiest cue there is: each image holds two squares of 8..15
px on black, class 0 red and class 1 green. Every ``--probe-every``
iterations it prints, on a fixed set of 16 other images (drawn once, from
their own random generator, so probing does not change the training
images) in eval mode, the mean seed
probability of each map inside the objects of each class. Rows are the
objects' classes, columns the seed maps: class-specific maps have a large
diagonal and a small off-diagonal; maps that only learned "object" have
equal columns.

Used to tell apart a loss that cannot separate classes from one that needs
more iterations to do it (docs/shapes_study.md, SpatialEmbeddings).
"""
import argparse
import json
from typing import List, Tuple

import numpy as np
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.config import Config
from mmengine.structures import InstanceData
from torch import Tensor

from mmseginst.registry import MODELS
from mmseginst.utils import register_all_modules

DEFAULT_CONFIG = ('configs/spatial_embeddings/'
                  'spatial-embeddings_r18-w32_fpn_shapes.py')
NUM_CLASSES = 2


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument('--iters', type=int, default=800)
    parser.add_argument('--probe-every', type=int, default=200)
    parser.add_argument('--size', type=int, default=64,
                        help='image side, a multiple of 32')
    parser.add_argument('--batch', type=int, default=4)
    parser.add_argument('--lr', type=float, default=1e-3)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--json', default=None, help='write the tables here')
    args = parser.parse_args()
    if args.size % 32 or args.size < 32:
        parser.error(f'--size must be a positive multiple of 32, got '
                     f'{args.size}')
    if args.iters < 1 or args.probe_every < 1:
        parser.error('--iters and --probe-every must be >= 1')
    return args


def colour_squares(num: int, size: int,
                   rng: np.random.Generator) -> Tuple[Tensor, list]:
    """``num`` images (num, 3, size, size) in [-1, 1] with two squares
    each; class c is drawn in colour channel c. Later squares cover earlier
    ones, and the earlier masks lose the covered pixels."""
    imgs, samples = [], []
    for _ in range(num):
        img = torch.zeros(3, size, size)
        masks: List[np.ndarray] = []
        labels = []
        for _ in range(2):
            cls = int(rng.integers(NUM_CLASSES))
            side = int(rng.integers(8, 16))
            y, x = rng.integers(0, size - side, 2)
            img[:, y:y + side, x:x + side] = 0
            img[cls, y:y + side, x:x + side] = 1
            mask = np.zeros((size, size), np.uint8)
            mask[y:y + side, x:x + side] = 1
            for prev in masks:
                prev[mask > 0] = 0
            masks.append(mask)
            labels.append(cls)
        imgs.append(img * 2 - 1)
        meta = dict(img_shape=(size, size), ori_shape=(size, size),
                    pad_shape=(size, size), batch_input_shape=(size, size),
                    scale_factor=(1.0, 1.0))
        gt = InstanceData(
            masks=BitmapMasks(np.stack(masks), size, size),
            labels=torch.tensor(labels), bboxes=torch.zeros(2, 4))
        samples.append(DetDataSample(metainfo=meta, gt_instances=gt))
    return torch.stack(imgs), samples


def seed_table(seeds: Tensor, masks: List[np.ndarray],
               labels: List[Tensor]) -> np.ndarray:
    """Mean seed of each map inside the objects of each class.

    Args:
        seeds (Tensor): (B, C, H, W) seed probabilities.
        masks (list[ndarray]): B arrays (K_b, H, W).
        labels (list[Tensor]): B tensors (K_b,).

    Returns:
        ndarray: (C, C), row = object class, column = map; each object
        counts once (its mean over its pixels); NaN rows for absent classes.
    """
    num_classes = seeds.shape[1]
    total = np.zeros((num_classes, num_classes))
    count = np.zeros(num_classes)
    for b, (img_masks, img_labels) in enumerate(zip(masks, labels)):
        for mask, label in zip(img_masks, img_labels.tolist()):
            mask = torch.from_numpy(mask).bool()
            if mask.any():
                total[label] += seeds[b][:, mask].mean(1).numpy()
                count[label] += 1
    with np.errstate(invalid='ignore'):
        return total / count[:, None]


def probe(model, imgs: Tensor, samples: list) -> np.ndarray:
    """The seed table of the probe images, in eval mode."""
    size = imgs.shape[-1]
    model.eval()
    with torch.no_grad():
        (pred, ) = model.mask_head(model.extract_feat(imgs))
        _, _, seeds = model.mask_head.decode(pred, (size, size))
    model.train()
    return seed_table(seeds, [s.gt_instances.masks.masks for s in samples],
                      [s.gt_instances.labels for s in samples])


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    register_all_modules()
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    probe_imgs, probe_samples = colour_squares(
        16, args.size, np.random.default_rng([args.seed, 1]))
    cfg = Config.fromfile(args.config)
    cfg.model.mask_head.num_classes = NUM_CLASSES
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr)
    tables = []
    for it in range(1, args.iters + 1):
        imgs, samples = colour_squares(args.batch, args.size, rng)
        loss = sum(model.loss(imgs, samples).values())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if it % args.probe_every == 0 or it == args.iters:
            table = probe(model, probe_imgs, probe_samples)
            tables.append(dict(iter=it, loss=loss.item(),
                               table=table.round(3).tolist()))
            print(f'iter {it}: loss {loss.item():.4f}; mean seed inside '
                  f'objects (rows: red, green objects; columns: maps)')
            for name, row in zip(('red', 'green'), table):
                print(f'  {name:5s} ' + ' '.join(f'{v:.3f}' for v in row))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(config=args.config, tables=tables), f, indent=1)


if __name__ == '__main__':
    main()
