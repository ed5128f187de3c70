"""Latency of ONNX Runtime vs PyTorch eager on the CPU, same image, same
threads, interleaved, at each method's paper input size.

    python tools/deployment/benchmark_onnx.py CONFIG [CONFIG ...] \
        [--threads 2] [--repeat 15] [--warmup 2] [--num-dets 100] \
        [--shape H W] [--work-dir DIR] [--json out.json]

Models have random weights (as tools/analysis_tools/benchmark.py) with the
classification biases raised so that ``--num-dets`` detections exist where
the method has a detection count (score threshold 0, ``max_per_img`` = N).
Each repeat runs PyTorch ``predict`` then the ONNX model (session +
post-processing) on the same preprocessed image, so both see the same
machine load. Reported: median and IQR (ms) of each, their ratio, the
post-processing share of the ONNX time, the model's GFLOPs
(``_forward``, mmengine's counter) and the fraction of the physical limit
(GFLOPs / GFLOP/s of a 2048^3 fp32 matmul on the same threads) reached.
"""
import argparse
import json
import math
import os
import os.path as osp
import sys
import tempfile
import time

import torch
from mmengine.config import Config

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..',
                            'analysis_tools'))
from benchmark import (build_model, count_flops, force_num_dets,  # noqa
                       summarise, synthetic_batch)

from mmseginst.utils import register_all_modules  # noqa: E402

PAPER_SHAPES = dict(CenterMaskPoint=(512, 512),
                    SpatialEmbeddings=(1024, 2048))
DEFAULT_SHAPE = (800, 1344)  # 800x1333 padded to a multiple of 32
# heads that take their method to another paper input size: CenterMask-Point
# on FCOS tests at FCOS's 800x1333
HEAD_SHAPES = dict(CenterMaskPointFCOSHead=DEFAULT_SHAPE)


def paper_shape(cfg) -> tuple:
    """The input size of the paper's speed figure for ``cfg.model``."""
    head = cfg.model.get('bbox_head', {}).get('type')
    return HEAD_SHAPES.get(head) or PAPER_SHAPES.get(cfg.model.type,
                                                     DEFAULT_SHAPE)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='ONNX Runtime vs PyTorch')
    p.add_argument('configs', nargs='+')
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--repeat', type=int, default=15)
    p.add_argument('--warmup', type=int, default=2)
    p.add_argument('--num-dets', type=int, default=100)
    p.add_argument('--shape', type=int, nargs=2, default=None)
    p.add_argument('--work-dir', default=None)
    p.add_argument('--json', default=None)
    return p.parse_args(argv)


def matmul_gflops(threads: int, n: int = 2048, repeat: int = 5) -> float:
    """GFLOP/s of an n^3 fp32 matmul (best of ``repeat``)."""
    torch.set_num_threads(threads)
    a, b = torch.randn(n, n), torch.randn(n, n)
    best = float('inf')
    for _ in range(repeat + 1):
        start = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def raise_scores(model, shape=None, num_dets: int = 100) -> None:
    """Classification biases that give every location a high score, so
    that the top-N detections all pass the thresholds. SpatialEmbeddings
    (no classifier) gets seeds above its thresholds in one class and a
    bandwidth whose Gaussians cover 1 / (2 ``num_dets``) of the ``shape``
    (H, W) image each, so that its greedy clustering accepts ``num_dets``
    instances of realistic size."""
    for name, module in model.named_modules():
        leaf = name.split('.')[-1]
        if leaf in ('conv_cls', 'rpn_cls') and module.bias is not None:
            torch.nn.init.constant_(module.bias, 0.0)
        elif leaf == 'fc_cls':
            torch.nn.init.constant_(module.bias, 0.0)
            module.bias.data[-1] = -8.0
    if type(model).__name__ == 'SpatialEmbeddings':
        raise_seeds(model.mask_head, shape, num_dets)


def raise_seeds(head, shape, num_dets: int) -> None:
    """Seeds of class 0 above the thresholds everywhere, none elsewhere
    (every class seeded would cluster C x N masks of the whole image before
    the top N are kept); offsets zero (embedding = pixel position) and the
    bandwidth of a disc of 1 / (2 N) of the image, in coordinate units
    (Gaussian > 0.5 within radius r: precision = ln 2 / r^2)."""
    seed = head.decoders[1].output_conv.bias
    torch.nn.init.constant_(seed, -3.0)
    seed.data[0] = 3.0
    pitch_x, pitch_y = head.pixel_pitch
    area = shape[0] * shape[1] * pitch_x * pitch_y / (2 * num_dets)
    precision = math.log(2) * math.pi / area
    head._init_output()  # the head's own: offsets 0, one bandwidth bias
    with torch.no_grad():
        head.decoders[0].output_conv.bias[2:2 + head.n_sigma].fill_(
            math.log(precision) / head.sigma_scale)


def bench_config(path: str, args, workdir: str) -> dict:
    from mmseginst.deployment import ONNXRuntimeDetector, export_onnx
    cfg = Config.fromfile(path)
    force_num_dets(cfg.model.get('test_cfg'), args.num_dets)
    if cfg.model.type == 'EmbedMask':
        force_num_dets(cfg.model.bbox_head.get('test_cfg'), args.num_dets)
    torch.manual_seed(0)
    model = build_model(cfg, 'cpu')
    shape = tuple(args.shape or paper_shape(cfg))
    raise_scores(model, shape, args.num_dets)
    inputs, samples = synthetic_batch(model, shape, 0, 'cpu')
    onnx_file = osp.join(workdir, osp.splitext(osp.basename(path))[0] +
                         '.onnx')
    export_onnx(model, onnx_file, tuple(inputs.shape[2:]))
    torch.set_num_threads(args.threads)
    det = ONNXRuntimeDetector(cfg, onnx_file, args.threads)
    meta = samples[0].metainfo
    feeds = det.feeds(inputs, meta)
    times = dict(torch=[], onnx=[], session=[])
    num_dets = 0
    for i in range(args.warmup + args.repeat):
        start = time.perf_counter()
        with torch.no_grad():
            ref = model.predict(inputs, samples)[0].pred_instances
        t_torch = time.perf_counter() - start
        start = time.perf_counter()
        outs = det.session.run(None, feeds)
        t_session = time.perf_counter() - start
        got = det.postprocess(outs, inputs, meta)
        t_onnx = time.perf_counter() - start
        if i >= args.warmup:
            times['torch'].append(t_torch)
            times['onnx'].append(t_onnx)
            times['session'].append(t_session)
        num_dets = len(got)
    flops, _ = count_flops(model, inputs, samples)
    stats = {k: summarise(v) for k, v in times.items()}
    return dict(config=osp.basename(path), shape=list(shape),
                num_dets=num_dets, num_dets_torch=len(ref),
                gflops=flops / 1e9, **stats)


def main(argv=None):
    args = parse_args(argv)
    register_all_modules(init_default_scope=True)
    workdir = args.work_dir or tempfile.mkdtemp(prefix='onnx_bench_')
    os.makedirs(workdir, exist_ok=True)
    peak = matmul_gflops(args.threads)
    rows = [bench_config(p, args, workdir) for p in args.configs]
    peak_after = matmul_gflops(args.threads)
    print(f'fp32 matmul 2048^3, {args.threads} threads: {peak:.1f} GFLOP/s '
          f'before, {peak_after:.1f} after')
    print('| config | input | dets | PyTorch ms (IQR) | ONNX Runtime ms '
          '(IQR) | speed-up | post-processing | GFLOPs | limit ms | '
          'ONNX share of limit |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    best = max(peak, peak_after)
    for r in rows:
        t, o, s = r['torch'], r['onnx'], r['session']
        post = (o['median'] - s['median']) / o['median']
        limit = r['gflops'] / best * 1000
        print(f"| {r['config']} | {r['shape'][0]}x{r['shape'][1]} | "
              f"{r['num_dets']} | {t['median']:.0f} ({t['p25']:.0f}-"
              f"{t['p75']:.0f}) | {o['median']:.0f} ({o['p25']:.0f}-"
              f"{o['p75']:.0f}) | {t['median'] / o['median']:.2f}x | "
              f"{100 * post:.1f}% | {r['gflops']:.1f} | {limit:.0f} | "
              f"{limit / o['median']:.2f} |")
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(matmul_gflops=[peak, peak_after], rows=rows), f,
                      indent=1)


if __name__ == '__main__':
    sys.exit(main())
