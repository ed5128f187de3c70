"""Time of one training iteration of a config in float32 and bfloat16
autocast, NCHW and channels-last, on the config's own training data.

    python tools/analysis_tools/benchmark_train_step.py CONFIG \
        [--modes fp32 bf16 fp32-cl bf16-cl] [--iters 10] [--warmup 2] \
        [--threads 2] [--cfg-options ...] [--json out.json]

Each mode builds the model afresh (same seed, same weights), wraps the
config's optimizer in ``CPUAutocastOptimWrapper`` (enabled for ``bf16*``)
and, for ``*-cl``, applies ``ChannelsLastHook``; it then runs
``model.train_step`` (data preprocessing, forward, losses, backward,
optimizer step) on the same pre-loaded batches. Loading images is not
timed. The first mode is the reference of the ``speed-up`` column.
"""
import argparse
import json
import os.path as osp
import statistics
import tempfile
import time
from typing import Dict, List

import torch
from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from mmseginst.engine import ChannelsLastHook
from mmseginst.utils import register_all_modules

MODES = ('fp32', 'bf16', 'fp32-cl', 'bf16-cl')


def parse_args():
    p = argparse.ArgumentParser(description='Benchmark training steps')
    p.add_argument('config')
    p.add_argument('--modes', nargs='+', default=list(MODES), choices=MODES)
    p.add_argument('--iters', type=int, default=10, help='timed iterations')
    p.add_argument('--warmup', type=int, default=2)
    p.add_argument('--threads', type=int, default=None,
                   help='torch intra-op threads (default: all cores)')
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    p.add_argument('--json', help='also write the rows to this file')
    return p.parse_args()


def build(cfg: Config, mode: str, work_dir: str):
    """Runner, model and optimizer wrapper of one mode."""
    cfg = cfg.copy()
    cfg.work_dir = work_dir
    cfg.optim_wrapper = dict(
        cfg.optim_wrapper, type='CPUAutocastOptimWrapper',
        dtype='bfloat16', enabled=mode.startswith('bf16'))
    runner = Runner.from_cfg(cfg)
    if mode.endswith('-cl'):
        ChannelsLastHook().before_run(runner)
    model = runner.model
    model.train()
    return runner, model, runner.build_optim_wrapper(cfg.optim_wrapper)


def time_mode(cfg: Config, mode: str, batches: List, warmup: int,
              work_dir: str) -> List[float]:
    torch.manual_seed(0)
    _, model, wrapper = build(cfg, mode, work_dir)
    times = []
    for i, batch in enumerate(batches):
        start = time.perf_counter()
        model.train_step(batch, wrapper)
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return times


def main():
    args = parse_args()
    register_all_modules()
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    rows: List[Dict] = []
    with tempfile.TemporaryDirectory() as work_dir:
        data_cfg = cfg.copy()
        data_cfg.work_dir = work_dir
        loader = iter(Runner.from_cfg(data_cfg).train_dataloader)
        batches = [next(loader) for _ in range(args.warmup + args.iters)]
        for mode in args.modes:
            t = time_mode(cfg, mode, batches, args.warmup, work_dir)
            q = statistics.quantiles(t, n=4) if len(t) > 1 else [t[0]] * 3
            rows.append(dict(mode=mode, median_s=statistics.median(t),
                             iqr_s=q[2] - q[0]))
    ref = rows[0]['median_s']
    print(f'{osp.basename(args.config)}: {args.iters} iterations per mode, '
          f'{torch.get_num_threads()} threads, batch '
          f'{cfg.train_dataloader.batch_size}')
    print(f'{"mode":10s} {"median s/it":>12s} {"IQR":>8s} {"speed-up":>9s}')
    for r in rows:
        r['speedup'] = ref / r['median_s']
        print(f'{r["mode"]:10s} {r["median_s"]:12.3f} {r["iqr_s"]:8.3f} '
              f'{r["speedup"]:8.2f}x')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(rows, f, indent=2)


if __name__ == '__main__':
    main()
