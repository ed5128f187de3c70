"""SpatialEmbeddings clustering: plain vs fast, and its share of inference.

    python projects/spatial_embeddings_study/benchmark_clustering.py \
        [--shape 1024 2048] [--instances 25] [--repeat 3] \
        [--plain-repeat 1] [--seed 0] \
        [--config CONFIG] [--no-network] [--threads N] [--json OUT]

1. Draws synthetic head outputs that look like a trained model's on a
   Cityscapes frame (``--instances`` objects of 10..300 px whose embeddings
   gather around their centers with a few stray pixels, bandwidths matched
   to their size, seeds high in the middle and fuzzy at the borders,
   background seeds mostly below 0.5).
2. Runs :func:`cluster_plain` and :func:`cluster_fast` on one class map
   with the config's test thresholds, checks that they return the same
   masks and scores, and reports their median times and the speed-up.
3. Times the network (backbone + head forward, random weights) of
   ``--config`` on the same input size and the head's whole
   post-processing (decode, clustering, boxes) on the synthetic outputs,
   and reports the share of the fast clustering in the total.
"""
import argparse
import json
import math
import os
import statistics
import time

import numpy as np
import torch
from mmengine.config import Config

from mmseginst.models.layers.coordinate_map import coordinate_map
from mmseginst.models.layers.spatial_embedding_clustering import (
    cluster_fast, cluster_plain)

DEFAULT_CONFIG = ('configs/spatial_embeddings/spatial-embeddings_erfnet_'
                  '1xb16-crop1024-20e_cityscapes-car.py')


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--shape', type=int, nargs=2, default=[1024, 2048],
                   metavar=('H', 'W'))
    p.add_argument('--instances', type=int, default=25)
    p.add_argument('--repeat', type=int, default=3,
                   help='timed runs of the fast clustering and network')
    p.add_argument('--plain-repeat', type=int, default=1,
                   help='timed runs of the (slow) plain clustering')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--config', default=DEFAULT_CONFIG)
    p.add_argument('--no-network', action='store_true',
                   help='skip the network timing (share not reported)')
    p.add_argument('--threads', type=int, default=None)
    p.add_argument('--json', help='write the results to this file')
    return p.parse_args()


def synthetic_outputs(h, w, num_instances, seed, pitch):
    """Raw head output (1, 4, H, W) of a would-be trained model: offset
    logits, bandwidth, seed logit."""
    rng = np.random.default_rng(seed)
    coords = coordinate_map(h, w, pitch).numpy().astype(np.float64)
    emb = coords + rng.normal(0, 3 * pitch[1], (2, h, w))
    sigma = rng.normal(0.9, 0.05, (h, w))
    seed_map = rng.uniform(0.0, 0.52, (h, w))  # ~4% background candidates
    ys, xs = np.mgrid[:h, :w]
    for _ in range(num_instances):
        a, b = rng.uniform(10, 150), rng.uniform(8, 80)
        cy, cx = rng.uniform(b, h - b), rng.uniform(a, w - a)
        y0, y1 = int(max(cy - b - 1, 0)), int(min(cy + b + 2, h))
        x0, x1 = int(max(cx - a - 1, 0)), int(min(cx + a + 2, w))
        dy, dx = ys[y0:y1, x0:x1] - cy, xs[y0:y1, x0:x1] - cx
        r2 = (dx / a)**2 + (dy / b)**2
        m = r2 < 1
        n = int(m.sum())
        margin = 0.5 * math.sqrt(a * b)  # pixels, phi = 0.5 there
        center = np.array([cx * pitch[0], cy * pitch[1]])
        e = center[:, None] + rng.normal(0, 0.3 * margin * pitch[1], (2, n))
        stray = rng.random(n) < 0.01  # pixels pointing elsewhere
        e[:, stray] += rng.normal(0, 20 * pitch[1], (2, int(stray.sum())))
        emb[:, y0:y1, x0:x1][:, m] = e
        sigma[y0:y1, x0:x1][m] = math.log(
            math.log(2) / (margin * pitch[1])**2) / 10 + rng.normal(
                0, 0.01, n)
        seed_map[y0:y1, x0:x1][m] = np.clip(
            0.98 - 0.5 * r2[m] + rng.normal(0, 0.01, n), 0.01, 0.995)
    offset = np.clip(emb - coords, -0.999, 0.999)
    logit = np.log(seed_map / (1 - seed_map))
    pred = np.concatenate([np.arctanh(offset), sigma[None], logit[None]])
    return torch.from_numpy(pred[None].astype(np.float32))


def median_time(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    from mmseginst.registry import MODELS
    from mmseginst.utils import register_all_modules
    from mmseginst.utils.misc import drop_pretrained
    register_all_modules()
    cfg = Config.fromfile(args.config)
    drop_pretrained(cfg.model)
    model = MODELS.build(cfg.model).eval()  # random weights are enough
    head = model.mask_head
    h, w = args.shape
    pred = synthetic_outputs(h, w, args.instances, args.seed,
                             head.pixel_pitch)
    emb, sigma, seed = head.decode(pred, (h, w))
    kw = {k: v for k, v in head.test_cfg.items()
          if k not in ('clustering', 'mask_thr', 'max_per_img')}
    kw['sigma_scale'] = head.sigma_scale
    maps = (emb[0], sigma[0], seed[0, 0])
    print(f'torch {torch.__version__}, threads {torch.get_num_threads()}, '
          f'maps {h}x{w}, {args.instances} drawn instances, '
          f'{int((maps[2] > kw["candidate_thr"]).sum())} candidate pixels, '
          f'thresholds {kw}')
    t_fast, fast = median_time(lambda: cluster_fast(*maps, **kw),
                               args.repeat)
    t_plain, plain = median_time(lambda: cluster_plain(*maps, **kw),
                                 args.plain_repeat)
    same = torch.equal(plain[0], fast[0]) and torch.equal(plain[1], fast[1])
    report = dict(shape=[h, w], instances_drawn=args.instances,
                  instances_found=len(fast[1]), identical=same,
                  plain_ms=t_plain * 1e3, fast_ms=t_fast * 1e3,
                  speedup=t_plain / t_fast, threads=torch.get_num_threads())
    print(f'instances found: {len(fast[1])} (plain {len(plain[1])}), '
          f'identical output: {same}')
    print(f'plain clustering: {t_plain * 1e3:9.1f} ms')
    print(f'fast clustering:  {t_fast * 1e3:9.1f} ms   '
          f'speed-up x{t_plain / t_fast:.1f}')
    if not args.no_network:
        img = torch.rand(1, 3, h, w)
        meta = dict(img_shape=(h, w), ori_shape=(h, w),
                    batch_input_shape=(h, w), scale_factor=(1.0, 1.0))
        with torch.no_grad():
            t_net, _ = median_time(
                lambda: head(model.extract_feat(img)), args.repeat)
            head.test_cfg['clustering'] = 'fast'
            t_post, _ = median_time(
                lambda: head.predict_by_feat(pred, [meta], rescale=True),
                args.repeat)
        total = t_net + t_post
        report.update(network_ms=t_net * 1e3, postprocess_ms=t_post * 1e3,
                      clustering_share=t_fast / total,
                      postprocess_share=t_post / total)
        print(f'network (backbone + head forward): {t_net * 1e3:9.1f} ms')
        print(f'post-processing (decode, fast clustering, boxes): '
              f'{t_post * 1e3:9.1f} ms')
        print(f'share of total inference: clustering '
              f'{100 * t_fast / total:.1f}%, whole post-processing '
              f'{100 * t_post / total:.1f}%')
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)),
                    exist_ok=True)
        with open(args.json, 'w') as f:
            json.dump(report, f, indent=2)
        print(f'wrote {args.json}')
    if not same:
        raise SystemExit('plain and fast clustering differ')


if __name__ == '__main__':
    main()
