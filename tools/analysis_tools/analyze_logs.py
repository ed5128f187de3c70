"""Plot loss / AP curves and time a training run from its JSON log.

    python tools/analysis_tools/analyze_logs.py plot_curve LOG.json [...] \
        [--keys loss segm_mAP] [--legend A B] [--title T] [--out curve.png]
    python tools/analysis_tools/analyze_logs.py cal_train_time LOG.json [...] \
        [--include-outliers]

The sub-commands and flags are mmdet's. LOG.json is mmengine's scalar log,
``WORK_DIR/<timestamp>/vis_data/scalars.json`` (or ``<timestamp>.json``
beside it): one JSON object per line, training lines with ``lr``, ``loss``,
``time`` ..., evaluation lines with ``coco/bbox_mAP`` .... A key may be
given without its prefix (``segm_mAP`` for ``coco/segm_mAP``). Training
curves are plotted against the iteration; evaluation curves against the
iteration, or the epoch for epoch-based runs.
"""
import argparse
import json
from collections import defaultdict
from typing import Dict, List, Tuple

import numpy as np

# mmdet's --style values are seaborn styles; matplotlib ships them as
# 'seaborn-v0_8-<name>'.
SEABORN_STYLES = ('white', 'dark', 'whitegrid', 'darkgrid', 'ticks')
AFTER_ITER = '_after_iter'


def load_json_log(path: str) -> Tuple[List[dict], List[dict]]:
    """Training lines (those with ``lr``) and evaluation lines of a log;
    each evaluation line also gets the iteration it followed
    (:data:`AFTER_ITER`).

    Raises:
        ValueError: A line is not JSON (the message names file and line).
    """
    if not path.endswith('.json'):
        raise ValueError(f'{path!r}: expected mmengine\'s JSON log '
                         '(WORK_DIR/<timestamp>/vis_data/scalars.json)')
    train, val = [], []
    last_iter = 0
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except ValueError as exc:
                raise ValueError(f'{path}, line {number}: not JSON ({exc})'
                                 ) from exc
            if 'lr' in entry:
                last_iter = entry.get('step', entry.get('iter', last_iter))
                train.append(entry)
            else:
                # mmengine logs evaluations of iteration-based runs at
                # step=epoch (0): keep the iteration they followed
                entry[AFTER_ITER] = last_iter
                val.append(entry)
    return train, val


def resolve_key(key: str, entries: List[dict]) -> str:
    """``key`` itself, or the one logged key that ends with ``/key``."""
    names = {k for e in entries for k in e}
    if key in names:
        return key
    matches = sorted(n for n in names if n.split('/')[-1] == key)
    return matches[0] if len(matches) == 1 else ''


def curve(path: str, key: str) -> Tuple[np.ndarray, np.ndarray, str]:
    """``(x, y, x label)`` of ``key`` in the log at ``path``.

    Raises:
        KeyError: The log has no such key; the message lists those it has.
    """
    train, val = load_json_log(path)
    for entries, is_val in ((train, False), (val, True)):
        name = resolve_key(key, entries)
        if not name:
            continue
        rows = [e for e in entries if name in e]
        by_epoch = is_val and any('epoch' in e for e in train)
        if is_val and not by_epoch:
            xs = [e[AFTER_ITER] for e in rows]
        else:
            xs = [e.get('step', e.get('iter', i + 1))
                  for i, e in enumerate(rows)]
        return (np.asarray(xs), np.asarray([e[name] for e in rows], float),
                'epoch' if by_epoch else 'iter')
    known = sorted({k for e in train + val for k in e} - {AFTER_ITER})
    raise KeyError(f'{path} has no key {key!r}; it logs {known}')


def plot_curve(args) -> None:
    import matplotlib
    if args.backend is not None:
        matplotlib.use(args.backend)
    elif args.out is not None:
        matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    style = args.style
    if style in SEABORN_STYLES:
        style = f'seaborn-v0_8-{style}'
    plt.style.use(style)
    legend = args.legend or [
        f'{log}_{key}' for log in args.json_logs for key in args.keys]
    if len(legend) != len(args.json_logs) * len(args.keys):
        raise ValueError(f'--legend gives {len(legend)} names for '
                         f'{len(args.json_logs)} logs x {len(args.keys)} '
                         'keys')
    fig, ax = plt.subplots(figsize=(8, 5))
    labels = set()
    for i, log in enumerate(args.json_logs):
        for j, key in enumerate(args.keys):
            xs, ys, xlabel = curve(log, key)
            print(f'plot curve of {log}, metric is {key}')
            marker = 'o' if 'mAP' in key or len(xs) < 20 else None
            ax.plot(xs, ys, label=legend[i * len(args.keys) + j],
                    marker=marker, linewidth=1)
            labels.add(xlabel)
    ax.set_xlabel(' / '.join(sorted(labels)))
    ax.legend()
    if args.title is not None:
        ax.set_title(args.title)
    if args.out is None:
        plt.show()
    else:
        print(f'save curve to: {args.out}')
        fig.savefig(args.out, dpi=100)
    plt.close(fig)


def train_times(path: str, include_outliers: bool) -> Dict[int, List[float]]:
    """Seconds per iteration grouped by epoch (one group, 0, for
    iteration-based runs); the first of each group is dropped unless
    ``include_outliers`` (it includes set-up and data-loader start)."""
    train, _ = load_json_log(path)
    groups: Dict[int, List[float]] = defaultdict(list)
    for entry in train:
        if 'time' in entry:
            groups[entry.get('epoch', 0)].append(float(entry['time']))
    if not groups:
        raise KeyError(f'{path} has no training "time" entries')
    if not include_outliers:
        groups = {k: v[1:] for k, v in groups.items() if len(v) > 1}
        if not groups:
            raise ValueError(f'{path}: a single time per epoch; pass '
                             '--include-outliers to use it')
    return dict(groups)


def cal_train_time(args) -> None:
    for log in args.json_logs:
        print(f'{"-" * 5}Analyze train time of {log}{"-" * 5}')
        groups = train_times(log, args.include_outliers)
        means = {k: float(np.mean(v)) for k, v in groups.items()}
        if len(means) > 1 or 0 not in means:
            slow = max(means, key=means.get)
            fast = min(means, key=means.get)
            print(f'slowest epoch {slow}, average time is {means[slow]:.4f}')
            print(f'fastest epoch {fast}, average time is {means[fast]:.4f}')
            print(f'time std over epochs is '
                  f'{np.std(list(means.values())):.4f}')
        every = np.concatenate([np.asarray(v) for v in groups.values()])
        print(f'average iter time: {every.mean():.4f} s/iter '
              f'({every.size} iterations)')
        print()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Analyze a JSON log')
    sub = parser.add_subparsers(dest='task', required=True)
    plot = sub.add_parser('plot_curve', help='plot curves of logged keys')
    plot.add_argument('json_logs', nargs='+', help='JSON logs')
    plot.add_argument('--keys', nargs='+', default=['bbox_mAP'],
                      help='keys to plot, e.g. loss segm_mAP')
    plot.add_argument('--title', help='title of the figure')
    plot.add_argument('--legend', nargs='+', help='a name per log and key')
    plot.add_argument('--backend', help='matplotlib backend')
    plot.add_argument('--style', default='dark',
                      help='matplotlib style (or a seaborn style name)')
    plot.add_argument('--out', help='PNG to write (default: show)')
    timing = sub.add_parser('cal_train_time',
                            help='average time per training iteration')
    timing.add_argument('json_logs', nargs='+', help='JSON logs')
    timing.add_argument('--include-outliers', action='store_true',
                        help='keep the first time of every epoch')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    {'plot_curve': plot_curve, 'cal_train_time': cal_train_time}[args.task](
        args)


if __name__ == '__main__':
    main()
