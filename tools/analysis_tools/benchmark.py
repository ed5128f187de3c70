"""Latency, parameters and FLOPs of one or more detectors on the same input.

    python tools/analysis_tools/benchmark.py CONFIG [CONFIG ...] \
        --shape 800 1216 --repeat 20 [--warmup 3] [--threads 2] \
        [--num-dets 100] [--json out.json] [--no-flops] [--flops-depth 2]

Each model is built with random weights (pretrained ``init_cfg`` entries are
dropped, nothing is downloaded) and timed on the same synthetic image after
warm-up. One ``predict`` call is split into three parts by forward hooks:

* ``backbone_neck``: time inside ``model.backbone`` and ``model.neck``;
* ``heads``: time inside any other submodule's ``forward`` (convs, RoI
  extractors, mask heads ... only the outermost call counts);
* ``postprocess``: the rest (decoding, NMS, mask pasting, clustering).

``--num-dets N`` sets the detection score threshold to 0 and the number of
kept detections to N where the test config has them, so that models are
compared with the same number of instances. The first config is the
reference of the ``ratio`` column. ``--flops-depth D`` also prints the
FLOPs of every submodule up to depth D (1: backbone, neck, heads; 2: their
children), to see where two models differ.
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time
from contextlib import contextmanager
from typing import Dict, List, Tuple

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.logging import MMLogger
from torch import nn

from mmseginst.utils import register_all_modules
from mmseginst.utils.misc import drop_pretrained


def parse_args():
    p = argparse.ArgumentParser(description='Benchmark detectors')
    p.add_argument('configs', nargs='+', help='config files')
    p.add_argument('--shape', type=int, nargs=2, default=[800, 1216],
                   metavar=('H', 'W'), help='input image height and width')
    p.add_argument('--repeat', type=int, default=10,
                   help='timed runs per config')
    p.add_argument('--warmup', type=int, default=2,
                   help='untimed runs before timing')
    p.add_argument('--threads', type=int, default=None,
                   help='torch intra-op threads (default: all cores)')
    p.add_argument('--device', default='cpu')
    p.add_argument('--num-dets', type=int, default=None,
                   help='force this many detections per image')
    p.add_argument('--no-flops', action='store_true',
                   help='skip the FLOPs count (it traces the model)')
    p.add_argument('--flops-depth', type=int, default=0,
                   help='also print the FLOPs of submodules up to this '
                   'depth (0: total only)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--json', help='write the results to this JSON file')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='overrides applied to every config')
    return p.parse_args()


# ------------------------------------------------------------------ model
def force_num_dets(test_cfg, num: int) -> None:
    """Score threshold 0 and ``max_per_img=num`` on the final stage."""
    if test_cfg is None:
        return
    final = test_cfg.get('rcnn', test_cfg)
    if isinstance(final, (list, tuple)):  # cascade: last stage decides
        final = final[-1]
    if 'score_thr' in final:
        final['score_thr'] = 0.0
    for key in ('max_per_img', 'max_num', 'topk', 'max_dets'):
        if key in final:
            final[key] = num


def build_model(cfg: Config, device: str) -> nn.Module:
    from mmseginst.registry import MODELS
    model_cfg = cfg.model
    drop_pretrained(model_cfg)
    model = MODELS.build(model_cfg)
    model.init_weights()
    return model.to(device).eval()


def synthetic_batch(model: nn.Module, shape, seed: int, device: str):
    from mmdet.structures import DetDataSample
    h, w = shape
    rng = np.random.default_rng(seed)
    img = torch.from_numpy(
        rng.integers(0, 256, size=(3, h, w), dtype=np.uint8))
    meta = dict(img_id=0, img_path='synthetic.png', ori_shape=(h, w),
                img_shape=(h, w), scale_factor=(1.0, 1.0))
    sample = DetDataSample(metainfo=meta)
    data = model.data_preprocessor(
        dict(inputs=[img.to(device)], data_samples=[sample]), False)
    return data['inputs'], data['data_samples']


# ----------------------------------------------------------------- timing
class PartTimer:
    """Accumulates wall time spent inside groups of modules' forward."""

    def __init__(self, device: str):
        self.cuda = device.startswith('cuda')
        self.totals = {'backbone_neck': 0.0, 'heads': 0.0}
        self._depth = {'backbone_neck': 0, 'heads': 0}
        self._start = {}
        self._handles = []

    def _sync(self):
        if self.cuda:
            torch.cuda.synchronize()

    def _pre(self, group):
        def hook(module, args):
            if self._depth['backbone_neck'] and group == 'heads':
                return  # a head module called from inside the backbone
            if self._depth[group] == 0:
                self._sync()
                self._start[group] = time.perf_counter()
            self._depth[group] += 1
        return hook

    def _post(self, group):
        def hook(module, args, output):
            if self._depth['backbone_neck'] and group == 'heads':
                return
            self._depth[group] -= 1
            if self._depth[group] == 0:
                self._sync()
                self.totals[group] += time.perf_counter() - self._start[group]
        return hook

    def attach(self, model: nn.Module) -> None:
        feature = [m for name in ('backbone', 'neck')
                   if isinstance(getattr(model, name, None), nn.Module)
                   for m in [getattr(model, name)]]
        inside = {id(sub) for m in feature for sub in m.modules()}
        for m in feature:
            self._handles += [
                m.register_forward_pre_hook(self._pre('backbone_neck')),
                m.register_forward_hook(self._post('backbone_neck'))]
        for sub in model.modules():
            if sub is model or id(sub) in inside or \
                    sub is getattr(model, 'data_preprocessor', None):
                continue
            self._handles += [
                sub.register_forward_pre_hook(self._pre('heads')),
                sub.register_forward_hook(self._post('heads'))]

    def reset(self):
        self.totals = {k: 0.0 for k in self.totals}

    def detach(self):
        for h in self._handles:
            h.remove()


def count_flops(model: nn.Module, inputs, data_samples,
                depth: int = 0) -> Tuple[float, Dict[str, float]]:
    """Total FLOPs of ``model._forward`` and those of its submodules up to
    ``depth`` (names relative to the detector, e.g. ``roi_head.mask_head``)
    whose count is not zero."""
    from mmengine.analysis import FlopAnalyzer

    class TensorForward(nn.Module):

        def __init__(self, det):
            super().__init__()
            self.det = det

        def forward(self, x):
            return self.det._forward(x, data_samples)

    analyzer = FlopAnalyzer(TensorForward(model), (inputs, ))
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    by_module = {}
    for name, value in analyzer.by_module().items():
        # the detector is the wrapper's child 'det': 'det.backbone' is at
        # depth 1, 'det.roi_head.mask_head' at depth 2
        if name.startswith('det.') and name.count('.') <= depth and value:
            by_module[name[len('det.'):]] = float(value)
    return float(analyzer.total()), by_module


def summarise(values: List[float]) -> Dict[str, float]:
    ms = sorted(v * 1000 for v in values)
    q = np.percentile(ms, [25, 75])
    return dict(median=statistics.median(ms), p25=float(q[0]),
                p75=float(q[1]), std=statistics.pstdev(ms), min=ms[0],
                max=ms[-1])


def benchmark_config(path: str, args) -> Dict:
    cfg = Config.fromfile(path)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.num_dets is not None:
        force_num_dets(cfg.model.get('test_cfg'), args.num_dets)
    torch.manual_seed(args.seed)
    model = build_model(cfg, args.device)
    inputs, samples = synthetic_batch(model, args.shape, args.seed,
                                      args.device)
    params = sum(p.numel() for p in model.parameters())
    flops, flops_error, flops_by_module = None, None, {}
    if not args.no_flops:
        try:
            with torch.no_grad():
                flops, flops_by_module = count_flops(
                    model, inputs, samples, args.flops_depth)
        except Exception as exc:  # tracing is not possible for every model
            flops_error = f'{type(exc).__name__}: {exc}'[:200]

    timer = PartTimer(args.device)
    timer.attach(model)
    totals, parts, dets = [], {'backbone_neck': [], 'heads': [],
                               'postprocess': []}, []
    with torch.no_grad():
        for i in range(args.warmup + args.repeat):
            timer.reset()
            if args.device.startswith('cuda'):
                torch.cuda.synchronize()
            start = time.perf_counter()
            results = model.predict(inputs, samples)
            if args.device.startswith('cuda'):
                torch.cuda.synchronize()
            total = time.perf_counter() - start
            if i < args.warmup:
                continue
            totals.append(total)
            parts['backbone_neck'].append(timer.totals['backbone_neck'])
            parts['heads'].append(timer.totals['heads'])
            parts['postprocess'].append(
                total - timer.totals['backbone_neck'] - timer.totals['heads'])
            dets.append(len(results[0].pred_instances))
    timer.detach()
    return dict(
        config=path,
        params=params,
        flops=flops,
        flops_error=flops_error,
        flops_by_module=flops_by_module,
        latency_ms=summarise(totals),
        breakdown_ms={k: statistics.median(v) * 1000
                      for k, v in parts.items()},
        num_dets=float(np.mean(dets)))


def print_table(rows: List[Dict]) -> None:
    head = ('config', 'params(M)', 'GFLOPs', 'median(ms)', 'IQR(ms)',
            'backbone+neck', 'heads', 'post', 'dets', 'ratio')
    lines = [head]
    for r in rows:
        lat, br = r['latency_ms'], r['breakdown_ms']
        lines.append((
            os.path.basename(r['config']), f"{r['params'] / 1e6:.2f}",
            'n/a' if r['flops'] is None else f"{r['flops'] / 1e9:.1f}",
            f"{lat['median']:.1f}", f"{lat['p75'] - lat['p25']:.1f}",
            f"{br['backbone_neck']:.1f}", f"{br['heads']:.1f}",
            f"{br['postprocess']:.1f}", f"{r['num_dets']:.0f}",
            f"{r['ratio']:.2f}"))
    widths = [max(len(str(line[i])) for line in lines)
              for i in range(len(head))]
    for k, line in enumerate(lines):
        print('  '.join(str(c).ljust(w) for c, w in zip(line, widths)))
        if k == 0:
            print('  '.join('-' * w for w in widths))


def main():
    args = parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    threads = torch.get_num_threads()
    print(f'torch {torch.__version__}, device {args.device}, '
          f'threads {threads}, input {args.shape[0]}x{args.shape[1]}, '
          f'warmup {args.warmup}, repeat {args.repeat}')
    register_all_modules()
    # quiet the per-parameter initialisation report of init_weights()
    MMLogger.get_instance('benchmark', log_level='WARNING')
    rows = []
    for path in args.configs:
        if not os.path.isfile(path):
            sys.exit(f'config file {path!r} does not exist')
        rows.append(benchmark_config(path, args))
        ref = rows[0]['latency_ms']['median']
        for r in rows:
            r['ratio'] = r['latency_ms']['median'] / ref
        print(f'done: {path}', flush=True)
    print_table(rows)
    for r in rows:
        if r['flops_by_module']:
            print(f"\nGFLOPs by module of {os.path.basename(r['config'])}:")
            for name, value in r['flops_by_module'].items():
                print(f'  {name:<40} {value / 1e9:8.1f}')
    for r in rows:
        if r['flops_error']:
            print(f"FLOPs not counted for {r['config']}: {r['flops_error']}")
    if args.json:
        report = dict(
            shape=args.shape, repeat=args.repeat, warmup=args.warmup,
            threads=threads, device=args.device, num_dets=args.num_dets,
            torch=torch.__version__, machine=platform.processor() or
            platform.machine(), results=rows)
        os.makedirs(os.path.dirname(os.path.abspath(args.json)),
                    exist_ok=True)
        with open(args.json, 'w') as f:
            json.dump(report, f, indent=2)
        print(f'wrote {args.json}')


if __name__ == '__main__':
    main()
