"""Train and evaluate the bottles4 configs over several seeds and tabulate
segm AP, its ratio to Mask R-CNN's, segm AR@100 and the training time.

    python projects/bottles4_study/run_seeds.py [--seeds 0 1 2]
        [--methods mask_rcnn centermask ...] [--work-dir work_dirs/bottles4]
        [--table-only]

Each run is ``tools/train.py CONFIG --work-dir WORK/<method>_s<seed>
--cfg-options randomness.seed=<seed>`` (one evaluation on the val set at the
end of training); its stdout goes to ``train.out`` in that folder. A run
whose folder already holds a ``result.json`` is not repeated, so the script
can be stopped and started again. The table (Markdown) is printed at the
end, from the ``result.json`` files found.
"""
import argparse
import json
import os
import os.path as osp
import re
import statistics
import subprocess
import sys
import time
from typing import Dict, List, Optional

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = {
    'mask_rcnn': 'configs/mask_rcnn/mask-rcnn_r18-w32_fpn_400it_bottles4.py',
    'centermask': 'configs/centermask/centermask_r18-w32_fpn_400it_bottles4.py',
    'centermask_point': 'configs/centermask_point/'
    'centermask-point_r18-w32_dla-up_400it_bottles4.py',
    'embedmask': 'configs/embedmask/embedmask_r18-w32_fpn_400it_bottles4.py',
    'spatial_embeddings': 'configs/spatial_embeddings/'
    'spatial-embeddings_r18-w32_fpn_400it_bottles4.py',
    'refinemask': 'configs/refinemask/refinemask_r18-w32_fpn_400it_bottles4.py',
}
AR100 = re.compile(r'Average Recall\s+\(AR\) @\[ IoU=0\.50:0\.95 \| '
                   r'area=\s+all \| maxDets=100 \] = (-?[0-9.]+)')


def parse_result(stdout: str, scalars_file: str) -> Dict[str, float]:
    """segm AP and bbox AP from the last line of mmengine's
    ``scalars.json``, segm AR@100 from the second COCO summary (bbox is
    evaluated first, segm second) printed on stdout."""
    with open(scalars_file) as f:
        last = [json.loads(line) for line in f if 'coco/segm_mAP' in line][-1]
    recalls = AR100.findall(stdout)
    if len(recalls) < 2:
        raise RuntimeError(f'no segm AR@100 in the output of {scalars_file}')
    return dict(segm_ap=last['coco/segm_mAP'],
                bbox_ap=last['coco/bbox_mAP'],
                segm_ar100=float(recalls[1]))


def run_one(method: str, seed: int, work_root: str) -> Optional[dict]:
    """Train one config with one seed; returns its result (also written to
    ``result.json``), or None when training failed."""
    work_dir = osp.join(work_root, f'{method}_s{seed}')
    done = osp.join(work_dir, 'result.json')
    if osp.exists(done):
        with open(done) as f:
            return json.load(f)
    os.makedirs(work_dir, exist_ok=True)
    cmd = [sys.executable, 'tools/train.py', CONFIGS[method], '--work-dir',
           work_dir, '--cfg-options', f'randomness.seed={seed}']
    start = time.time()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    minutes = (time.time() - start) / 60
    with open(osp.join(work_dir, 'train.out'), 'w') as f:
        f.write(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        print(f'{method} seed {seed} failed (exit {proc.returncode}); see '
              f'{work_dir}/train.out', file=sys.stderr)
        return None
    stamps = sorted(d for d in os.listdir(work_dir)
                    if osp.isdir(osp.join(work_dir, d, 'vis_data')))
    scalars = osp.join(work_dir, stamps[-1], 'vis_data', 'scalars.json')
    result = dict(method=method, seed=seed, train_minutes=round(minutes, 1),
                  threads=os.environ.get('OMP_NUM_THREADS', ''),
                  **parse_result(proc.stdout, scalars))
    with open(done, 'w') as f:
        json.dump(result, f, indent=1)
    return result


def mean_std(values: List[float]) -> str:
    """'0.654 ± 0.010 (n=3)' (no spread for one value)."""
    if len(values) == 1:
        return f'{values[0]:.3f} (n=1)'
    return (f'{statistics.mean(values):.3f} ± '
            f'{statistics.stdev(values):.3f} (n={len(values)})')


def table(results: List[dict]) -> str:
    """Markdown table: one row per method, mean ± std over its seeds; the
    ratio to Mask R-CNN's mean segm AP over the seeds both have."""
    by_method: Dict[str, Dict[int, dict]] = {}
    for r in results:
        by_method.setdefault(r['method'], {})[r['seed']] = r
    base = by_method.get('mask_rcnn', {})
    lines = [
        '| method | seeds | segm AP | x Mask R-CNN (same seeds) | '
        'segm AR@100 | bbox AP | train min/run |', '|---|---|---|---|---|---|---|'
    ]
    for method in CONFIGS:
        runs = by_method.get(method)
        if not runs:
            continue
        seeds = sorted(runs)
        common = [s for s in seeds if s in base]
        ratio = '-'
        if common:
            ratio = '{:.2f}'.format(
                statistics.mean(runs[s]['segm_ap'] for s in common) /
                statistics.mean(base[s]['segm_ap'] for s in common))
        col = {k: [runs[s][k] for s in seeds]
               for k in ('segm_ap', 'segm_ar100', 'bbox_ap', 'train_minutes')}
        lines.append(
            f"| {method} | {', '.join(map(str, seeds))} | "
            f"{mean_std(col['segm_ap'])} | {ratio} | "
            f"{mean_std(col['segm_ar100'])} | {mean_std(col['bbox_ap'])} | "
            f"{statistics.mean(col['train_minutes']):.0f} |")
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--methods', nargs='+', default=list(CONFIGS),
                        choices=list(CONFIGS))
    parser.add_argument('--work-dir', default='work_dirs/bottles4')
    parser.add_argument('--table-only', action='store_true',
                        help='only tabulate the runs already done')
    args = parser.parse_args(argv)
    work_root = osp.join(REPO, args.work_dir)
    results = []
    for seed in args.seeds:  # seed-major: every method gets seed 0 first
        for method in args.methods:
            if args.table_only:
                path = osp.join(work_root, f'{method}_s{seed}', 'result.json')
                if osp.exists(path):
                    with open(path) as f:
                        results.append(json.load(f))
                continue
            result = run_one(method, seed, work_root)
            if result is not None:
                results.append(result)
                print(json.dumps(result), flush=True)
    print(table(results))


if __name__ == '__main__':
    main()
