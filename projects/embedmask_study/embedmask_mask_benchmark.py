"""Peak memory and latency of EmbedMask's mask step for N detections.

    python projects/embedmask_study/embedmask_mask_benchmark.py \
        --shape 800 1344 --num-dets 100 --repeat 5 [--device cuda]

Compares, on the same random stride-4 pixel embeddings and detections:

* ``bounded``: :func:`box_bounded_masks`, what :class:`EmbedMaskPixelHead`
  runs: ``p`` only inside each box padded by 2 cells, resampled only over
  the box's output window;
* ``dense``: the straightforward version: ``p`` for every detection on the
  whole stride-4 grid, log-probability -10 outside the padded box,
  ``F.interpolate`` of all maps to the full image, threshold at log(0.53).

Both give the same masks (``tests/test_models/test_layers/
test_embedding_coupling.py``). Each variant runs in a fresh process; the
peak is the growth of the process's maximum resident set (CPU) or of
``torch.cuda.max_memory_allocated`` (GPU) over the state with the inputs
allocated, so it includes the (N, H, W) boolean output both must return.
Boxes are drawn COCO-like (log-uniform sides of 16..800 px) or, with
``--boxes full``, all cover the whole image (the worst case of ``bounded``).

With ``--config CONFIG`` it instead times a whole EmbedMask ``predict`` (random
weights, score threshold 0 so that ``--num-dets`` detections are kept) and
the share of its mask computation: the pixel-embedding branch
(``mask_head.forward``) and the coupling (``mask_head.predict_by_feat``).
"""
import argparse
import json
import math
import resource
import statistics
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

from mmseginst.models.layers.embedding_coupling import (
    box_bounded_masks, boxes_to_grid_regions, embedding_sq_distance)

STRIDE, PADDING, THR = 4, 2, 0.53


def parse_args():
    p = argparse.ArgumentParser(description='EmbedMask mask-step benchmark')
    p.add_argument('--shape', type=int, nargs=2, default=[800, 1344],
                   metavar=('H', 'W'), help='padded input size')
    p.add_argument('--num-dets', type=int, default=100)
    p.add_argument('--embed-dims', type=int, default=16)
    p.add_argument('--boxes', choices=['random', 'full'], default='random')
    p.add_argument('--repeat', type=int, default=5)
    p.add_argument('--device', default='cpu')
    p.add_argument('--threads', type=int, default=None)
    p.add_argument('--config', help='time the mask share of this EmbedMask '
                   'config instead')
    p.add_argument('--variant', choices=['bounded', 'dense'],
                   help='run one variant in this process (internal)')
    return p.parse_args()


def make_inputs(args):
    g = torch.Generator().manual_seed(0)
    h, w = args.shape
    grid = (h // STRIDE, w // STRIDE)
    pixels = torch.randn(args.embed_dims, *grid, generator=g) * 0.5
    n = args.num_dets
    if args.boxes == 'full':
        boxes = torch.tensor([[0., 0., w, h]]).repeat(n, 1)
    else:
        size = torch.exp(torch.empty(n, 2).uniform_(
            float(torch.log(torch.tensor(16.))),
            float(torch.log(torch.tensor(800.))), generator=g))
        size = torch.minimum(size, torch.tensor([w, h]) - 1.)
        x1 = torch.rand(n, generator=g) * (w - size[:, 0])
        y1 = torch.rand(n, generator=g) * (h - size[:, 1])
        boxes = torch.stack([x1, y1, x1 + size[:, 0], y1 + size[:, 1]], 1)
    centre = ((boxes[:, :2] + boxes[:, 2:]) / 2 / STRIDE).long()
    embeds = pixels[:, centre[:, 1], centre[:, 0]].t().contiguous()
    margins = torch.full((n, args.embed_dims), 0.2)
    dev = args.device
    return (pixels.to(dev), embeds.to(dev), margins.to(dev), boxes.to(dev),
            (h, w))


def dense_masks(pixels, embeds, margins, regions, out_shape):
    log_prob = -embedding_sq_distance(pixels, embeds, margins)
    dense = torch.full_like(log_prob, -10.)
    for n, (x1, y1, x2, y2) in enumerate(regions.tolist()):
        dense[n, y1:y2, x1:x2] = log_prob[n, y1:y2, x1:x2]
    up = F.interpolate(dense[None], scale_factor=STRIDE, mode='bilinear',
                       align_corners=False)[0]
    return up[:, :out_shape[0], :out_shape[1]] > math.log(THR)


def run_variant(args):
    if args.threads:
        torch.set_num_threads(args.threads)
    pixels, embeds, margins, boxes, out_shape = make_inputs(args)
    regions = boxes_to_grid_regions(boxes, STRIDE, PADDING,
                                    pixels.shape[-2:])
    cuda = args.device.startswith('cuda')

    def once():
        if args.variant == 'bounded':
            resized = tuple(STRIDE * g for g in pixels.shape[-2:])
            return box_bounded_masks(pixels, embeds, margins, regions,
                                     out_shape, resized, THR)
        return dense_masks(pixels, embeds, margins, regions, out_shape)

    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    else:
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    with torch.no_grad():
        masks = once()
        if cuda:
            torch.cuda.synchronize()
            peak = torch.cuda.max_memory_allocated() - base
        else:
            peak = resource.getrusage(
                resource.RUSAGE_SELF).ru_maxrss * 1024 - base
        fg = int(masks.sum())
        del masks
        times = []
        for _ in range(args.repeat):
            if cuda:
                torch.cuda.synchronize()
            start = time.perf_counter()
            once()
            if cuda:
                torch.cuda.synchronize()
            times.append(time.perf_counter() - start)
    print(json.dumps(dict(variant=args.variant, peak_mb=peak / 2**20,
                          median_ms=statistics.median(times) * 1000,
                          foreground=fg)))


def model_share(args):
    """Median total predict time and the part spent in the mask head."""
    from mmengine.config import Config

    from mmseginst.registry import MODELS
    from mmseginst.utils import register_all_modules
    from mmseginst.utils.misc import drop_pretrained
    register_all_modules()
    cfg = Config.fromfile(args.config)
    drop_pretrained(cfg.model)
    cfg.model.test_cfg.update(score_thr=0.0, max_per_img=args.num_dets)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model = model.to(args.device).eval()
    from mmdet.structures import DetDataSample
    h, w = args.shape
    img = torch.randint(0, 256, (3, h, w), dtype=torch.uint8)
    meta = dict(ori_shape=(h, w), img_shape=(h, w), scale_factor=(1., 1.))
    data = model.data_preprocessor(
        dict(inputs=[img.to(args.device)],
             data_samples=[DetDataSample(metainfo=meta)]), False)
    spent = dict(branch=0., coupling=0.)

    def timed(name, fn):
        def wrapper(*a, **k):
            sync()
            start = time.perf_counter()
            out = fn(*a, **k)
            sync()
            spent[name] += time.perf_counter() - start
            return out
        return wrapper

    def sync():
        if args.device.startswith('cuda'):
            torch.cuda.synchronize()

    head = model.mask_head
    head.forward = timed('branch', head.forward)
    head.predict_by_feat = timed('coupling', head.predict_by_feat)
    rows = []
    with torch.no_grad():
        for i in range(args.repeat + 1):
            spent.update(branch=0., coupling=0.)
            sync()
            start = time.perf_counter()
            res = model.predict(data['inputs'], data['data_samples'])
            sync()
            if i:  # the first run warms up
                rows.append((time.perf_counter() - start, spent['branch'],
                             spent['coupling']))
    total, branch, coupling = (statistics.median(r[k] for r in rows) * 1000
                               for k in range(3))
    print(f'{args.config}: {len(res[0].pred_instances)} detections, '
          f'median predict {total:.1f} ms; pixel branch {branch:.1f} ms '
          f'({branch / total:.1%}), coupling {coupling:.1f} ms '
          f'({coupling / total:.1%}); mask share '
          f'{(branch + coupling) / total:.1%}')


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.config:
        model_share(args)
        return
    if args.variant:
        run_variant(args)
        return
    print(f'torch {torch.__version__}, device {args.device}, threads '
          f'{args.threads or torch.get_num_threads()}, input '
          f'{args.shape[0]}x{args.shape[1]}, {args.num_dets} detections, '
          f'{args.boxes} boxes, D={args.embed_dims}')
    rows = []
    for variant in ('bounded', 'dense'):
        cmd = [sys.executable, __file__, '--variant', variant] + \
            sys.argv[1:]
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode:
            sys.exit(out.stderr[-2000:])
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    output = args.num_dets * args.shape[0] * args.shape[1] / 2**20
    print(f'(the (N, H, W) bool output alone is {output:.0f} MB)')
    print(f"{'variant':8}  {'peak (MB)':>9}  {'median (ms)':>11}  "
          'foreground px')
    for r in rows:
        print(f"{r['variant']:8}  {r['peak_mb']:9.0f}  "
              f"{r['median_ms']:11.1f}  {r['foreground']}")
    if rows[0]['foreground'] != rows[1]['foreground']:
        sys.exit('the two variants disagree')


if __name__ == '__main__':
    main()
