"""Collect the metrics of finished runs into a table and the metafiles.

    python tools/misc/gather_results.py WORK_DIR [WORK_DIR ...] \
        [--out results.md] [--update-metafiles] [--field 'Our Results'] \
        [--dataset NAME] [--metafiles configs/*/metafile.yml]

A WORK_DIR is a run's ``--work-dir`` (holding the config mmengine dumped
there) or a folder of such runs (``work_dirs``). For each run the last
evaluation of its newest log is read (training with validation, or a
``tools/test.py`` run in the same work dir): COCO-style ``bbox_mAP`` and
``segm_mAP`` become ``box AP`` and ``mask AP`` in percent, as in the
metafiles. The table (Markdown) goes to ``--out`` or the screen. With
``--update-metafiles`` each run whose config is the ``Config`` of a model in
a metafile gets its numbers in that model's ``--field`` entry (default
``Our Results``), apart from the paper's ``Results``; the rest of the file is kept
as it is, and the new file is checked to parse to the old one plus the
field before it is written (atomically).
"""
import argparse
import glob
import json
import os.path as osp
from typing import Dict, List, Optional

import yaml
from mmengine.utils import ProgressBar

from mmseginst.utils import atomic_write_bytes

METRICS = (('bbox_mAP', 'Object Detection', 'box AP'),
           ('segm_mAP', 'Instance Segmentation', 'mask AP'))
SUFFIXES = {m[0] for m in METRICS}
DATASET_NAMES = {'ShapesDataset': 'shapes', 'CocoDataset': 'COCO',
                 'CityscapesDataset': 'Cityscapes',
                 'LVISV1Dataset': 'LVIS v1'}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='Gather results of work dirs')
    p.add_argument('work_dirs', nargs='+', help='runs or folders of runs')
    p.add_argument('--out', help='write the Markdown table here')
    p.add_argument('--update-metafiles', action='store_true',
                   help='write the numbers into the metafiles')
    p.add_argument('--field', default='Our Results',
                   help='metafile key of our numbers (default: Our Results)')
    p.add_argument('--dataset', help='dataset name (default: from the '
                   "config's test dataset type)")
    p.add_argument('--metafiles', nargs='+',
                   default=sorted(glob.glob('configs/*/metafile.yml')),
                   help='metafiles to update')
    return p.parse_args(argv)


def find_runs(paths: List[str]) -> List[str]:
    """Work dirs among ``paths`` and their sub-folders (one level)."""
    runs = []
    for path in paths:
        if not osp.isdir(path):
            raise FileNotFoundError(f'work dir {path!r} does not exist')
        if glob.glob(osp.join(path, '*.py')):
            runs.append(path)
        else:
            runs += sorted(d for d in glob.glob(osp.join(path, '*'))
                           if osp.isdir(d) and glob.glob(osp.join(d, '*.py')))
    if not runs:
        raise FileNotFoundError(f'no work dir (a folder with the dumped '
                                f'config) in {paths}')
    return runs


def _logs(work_dir: str) -> List[str]:
    """JSON logs of a work dir's runs, oldest first: a training run's
    ``<timestamp>/vis_data/scalars.json``, a test run's
    ``<timestamp>/<timestamp>.json``."""
    logs = []
    for run in sorted(glob.glob(osp.join(work_dir, '*', ''))):
        stamp = osp.basename(osp.dirname(run))
        logs += [p for p in (osp.join(run, 'vis_data', 'scalars.json'),
                             osp.join(run, f'{stamp}.json')) if osp.isfile(p)]
    return logs


def last_evaluation(work_dir: str) -> Optional[dict]:
    """The last evaluation line of a work dir's logs, with the training
    iteration (or epoch) it followed under ``_iter``."""
    found, step = None, None
    for log in _logs(work_dir):
        with open(log) as f:
            for line in f:
                if not line.strip():
                    continue
                entry = json.loads(line)
                if 'lr' in entry:
                    step = entry.get('epoch', entry.get('iter', step))
                elif any(k.split('/')[-1] in SUFFIXES for k in entry):
                    found = dict(entry, _iter=step)
    return found


def run_record(work_dir: str, dataset: Optional[str]) -> Optional[dict]:
    """Config name, dataset, metrics (percent) and iteration of a run."""
    from mmengine.config import Config
    configs = sorted(glob.glob(osp.join(work_dir, '*.py')),
                     key=osp.getmtime)
    entry = last_evaluation(work_dir)
    if entry is None:
        return None
    metrics = {}
    for key, value in entry.items():
        for suffix, task, name in METRICS:
            if key.split('/')[-1] == suffix and value >= 0:
                metrics[(task, name)] = round(100 * float(value), 1)
    if dataset is None:
        cfg = Config.fromfile(configs[-1])
        ds = cfg.test_dataloader.dataset
        while 'dataset' in ds:
            ds = ds.dataset
        dataset = DATASET_NAMES.get(ds.type, ds.type)
    return dict(config=osp.basename(configs[-1]), dataset=dataset,
                metrics=metrics, iteration=entry['_iter'],
                work_dir=work_dir)


def markdown_table(records: List[dict], collections: Dict[str, str]) -> str:
    rows = ['| Config | Method | Dataset | box AP | mask AP | Iterations '
            '| Work dir |', '|---|---|---|---|---|---|---|']
    for r in records:
        box = r['metrics'].get(('Object Detection', 'box AP'), '-')
        mask = r['metrics'].get(('Instance Segmentation', 'mask AP'), '-')
        rows.append(f"| {r['config']} | {collections.get(r['config'], '-')} "
                    f"| {r['dataset']} | {box} | {mask} | "
                    f"{r['iteration'] if r['iteration'] is not None else '-'}"
                    f" | {r['work_dir']} |")
    return '\n'.join(rows) + '\n'


def field_value(record: dict) -> List[dict]:
    by_task: Dict[str, dict] = {}
    for (task, name), value in record['metrics'].items():
        by_task.setdefault(task, {})[name] = value
    return [dict(Task=task, Dataset=record['dataset'], Metrics=metrics)
            for task, metrics in by_task.items()]


class _IndentedDumper(yaml.SafeDumper):
    """Indents list items under their key, as the metafiles do."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def _entry_span(lines: List[str], config: str):
    """(first, end) line indices of the model entry whose ``Config`` has
    the basename ``config``, or None."""
    starts = [i for i, line in enumerate(lines) if line.startswith('  - ')]
    for start in starts:
        end = start + 1
        while end < len(lines) and not lines[end].startswith('  - ') and (
                lines[end].startswith(' ') or not lines[end].strip()):
            end += 1
        body = lines[start:end]
        if any(line.startswith('    Config:') and
               osp.basename(line.split(':', 1)[1].strip()) == config
               for line in body):
            return start, end
    return None


def set_metafile_field(text: str, config: str, field: str,
                       value: list) -> Optional[str]:
    """``text`` with ``field: value`` in the entry of ``config`` (replacing
    the field if it is there), or None when no entry has that config.

    Raises:
        ValueError: The edited text does not parse to the original plus the
            field (the file is left to the caller unchanged).
    """
    lines = text.splitlines(keepends=True)
    span = _entry_span(lines, config)
    if span is None:
        return None
    start, end = span
    body = lines[start:end]
    while body and not body[-1].strip():
        body.pop()
    kept, skipping = [], False
    for line in body:
        if line.startswith(f'    {field}:'):
            skipping = True
            continue
        if skipping and (line.startswith('     ') or not line.strip()):
            continue
        skipping = False
        kept.append(line)
    dumped = yaml.dump({field: value}, Dumper=_IndentedDumper,
                       sort_keys=False, default_flow_style=False)
    block = [f'    {line}\n' for line in dumped.splitlines()]
    new_lines = lines[:start] + kept + block + lines[start + len(body):]
    new_text = ''.join(new_lines)
    _check_edit(text, new_text, config, field, value)
    return new_text


def _check_edit(old: str, new: str, config: str, field: str, value) -> None:
    before, after = yaml.safe_load(old), yaml.safe_load(new)
    for model in before.get('Models', []):
        if osp.basename(str(model.get('Config'))) == config:
            model[field] = value
    if before != after:
        raise ValueError(f'editing the entry of {config} would change more '
                         f'than its {field!r} field; the file is unchanged')


def update_metafiles(records: List[dict], metafiles: List[str],
                     field: str) -> List[str]:
    """Write each record into the metafile entry of its config; return the
    configs that no metafile lists."""
    unlisted = []
    for record in records:
        for path in metafiles:
            with open(path) as f:
                text = f.read()
            new = set_metafile_field(text, record['config'], field,
                                     field_value(record))
            if new is not None:
                atomic_write_bytes(path, new.encode())
                print(f"{path}: {record['config']} -> {field}")
                break
        else:
            unlisted.append(record['config'])
    return unlisted


def collections_of(metafiles: List[str]) -> Dict[str, str]:
    names = {}
    for path in metafiles:
        with open(path) as f:
            data = yaml.safe_load(f) or {}
        for model in data.get('Models', []):
            names[osp.basename(str(model.get('Config')))] = model.get(
                'In Collection', '-')
    return names


def main(argv=None):
    args = parse_args(argv)
    runs = find_runs(args.work_dirs)
    records = []
    progress = ProgressBar(len(runs))
    for run in runs:
        record = run_record(run, args.dataset)
        if record is not None and record['metrics']:
            records.append(record)
        progress.update()
    print()
    table = markdown_table(records, collections_of(args.metafiles))
    if args.out:
        atomic_write_bytes(args.out, table.encode())
        print(f'table of {len(records)} runs written to {args.out}')
    else:
        print(table)
    if args.update_metafiles:
        for config in update_metafiles(records, args.metafiles, args.field):
            print(f'{config}: in no metafile, not written')


if __name__ == '__main__':
    main()
