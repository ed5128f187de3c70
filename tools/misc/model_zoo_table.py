"""Write docs/model_zoo.md, one table of every config of every method, from
the OpenMMLab metafiles (``configs/*/metafile.yml``).

    python tools/misc/model_zoo_table.py [--out docs/model_zoo.md] [--check]

Each row is one model of a metafile: its config, backbone and schedule
(``Metadata``), the published numbers (``Results``, labelled by
``Results Source``), the published speed (``Metadata: inference time
(ms/im)`` or ``inference speed (fps)``) and what we measured ourselves
(``Our Results``, never mixed with the published ones). With ``--check``
nothing is written: the command fails, naming the file, when the document
differs from what the metafiles give (as the tests do).
"""
import argparse
import glob
import os.path as osp
import sys
from typing import Dict, List

import yaml

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEFAULT_OUT = osp.join('docs', 'model_zoo.md')
HEADER = """# Model zoo

Every config of every method, with the numbers its paper or official code
publishes and, in a separate column, what we trained ourselves. No GPU and
no COCO, LVIS or Cityscapes data were available where this toolbox was built,
so "ours" exists only for the CPU configs on the built-in shapes dataset
(COCO AP x 100 on its 100 val images, each against the shapes Mask R-CNN
named in the row); the study behind those numbers is in
[shapes_study.md](shapes_study.md). Published checkpoints convert with the
tools named in each method's README. Speeds are the papers', on the GPU
named.

This page is generated from the metafiles (`configs/*/metafile.yml`) by
`python tools/misc/model_zoo_table.py`; edit the metafiles, not this page.
"""
COLUMNS = ('config', 'backbone', 'schedule', 'published results', 'source',
           'published speed', 'ours', 'notes')


class MetafileError(ValueError):
    """A metafile without a field the table needs."""


def _metrics(metrics: Dict) -> str:
    return ', '.join(f'{k} {v}' for k, v in metrics.items())


def format_results(results, where: str) -> str:
    """``Dataset: metric value, ...`` per dataset (entries of one dataset
    merged, in order), joined by ``; ``."""
    if not results:
        return '-'
    by_dataset = {}
    for i, res in enumerate(results):
        for key in ('Dataset', 'Metrics'):
            if not isinstance(res, dict) or key not in res:
                raise MetafileError(f'{where}: result {i} has no {key}')
        by_dataset.setdefault(res['Dataset'], {}).update(res['Metrics'])
    return '; '.join(f'{dataset}: {_metrics(metrics)}'
                     for dataset, metrics in by_dataset.items())


def format_ours(results, where: str) -> str:
    """Our results with their setting and baseline, or ``-``."""
    if not results:
        return '-'
    parts = []
    for res in results:
        text = format_results([res], where)
        extra = [res['Setting']] if res.get('Setting') else []
        base = res.get('Baseline')
        if base:
            name = osp.splitext(osp.basename(base.get('Config', '')))[0]
            values = _metrics({k: v for k, v in base.items() if k != 'Config'})
            extra.append(f'baseline {name}: {values}')
        parts.append(f"{text} ({'; '.join(extra)})" if extra else text)
    return '; '.join(parts)


def format_speed(metadata: Dict) -> str:
    """The published speed entries of ``Metadata``, or ``-``."""
    parts = []
    for key, unit in (('inference time (ms/im)', 'ms/im'),
                      ('inference speed (fps)', 'fps')):
        for entry in metadata.get(key) or []:
            parts.append(f"{entry['value']} {unit} ({entry['hardware']})")
    return '; '.join(parts) or '-'


def _schedule(metadata: Dict) -> str:
    for key, unit in (('Epochs', 'epochs'), ('Iterations', 'iterations')):
        if key in metadata:
            return f'{metadata[key]} {unit}, batch {metadata["Batch Size"]}'
    return '-'


def model_row(model: Dict, where: str) -> List[str]:
    """The table cells of one metafile model."""
    for key in ('Name', 'Config', 'Metadata', 'Results'):
        if key not in model:
            raise MetafileError(f'{where}: a model has no {key}')
    where = f"{where}, model {model['Name']}"
    meta = model['Metadata'] or {}
    published = format_results(model['Results'], where)
    if model['Results'] and not model.get('Results Source'):
        raise MetafileError(
            f'{where}: Results without a Results Source (say who '
            'published them)')
    config = model['Config']
    return [
        f"[{model['Name']}](../{config})", str(meta.get('Backbone', '-')),
        _schedule(meta), published,
        model.get('Results Source', '-') if model['Results'] else '-',
        format_speed(meta),
        format_ours(model.get('Our Results'), where),
        str(meta.get('Notes', '-'))
    ]


def load_metafile(path: str) -> Dict:
    try:
        with open(path) as f:
            meta = yaml.safe_load(f)
    except yaml.YAMLError as e:
        raise MetafileError(f'{path}: not valid YAML ({e})') from e
    if not isinstance(meta, dict) or not meta.get('Models'):
        raise MetafileError(f'{path}: no Models list')
    return meta


def render(repo: str = REPO) -> str:
    """The whole Markdown document for the metafiles under ``repo``."""
    paths = sorted(glob.glob(osp.join(repo, 'configs', '*', 'metafile.yml')))
    if not paths:
        raise MetafileError(f'no configs/*/metafile.yml under {repo}')
    lines = [HEADER]
    for path in paths:
        where = osp.relpath(path, repo)
        meta = load_metafile(path)
        collection = (meta.get('Collections') or [{}])[0]
        title = collection.get('Name', osp.basename(osp.dirname(path)))
        paper = (collection.get('Paper') or {}).get('URL')
        readme = osp.relpath(osp.join(osp.dirname(path), 'README.md'), repo)
        lines.append(f'## {title}\n')
        links = [f'[README](../{readme})']
        if paper:
            links.insert(0, f'[paper]({paper})')
        lines.append(' · '.join(links) + '\n')
        lines.append('| ' + ' | '.join(COLUMNS) + ' |')
        lines.append('|' + '---|' * len(COLUMNS))
        for model in meta['Models']:
            cells = [c.replace('|', '\\|') for c in model_row(model, where)]
            lines.append('| ' + ' | '.join(cells) + ' |')
        lines.append('')
    return '\n'.join(lines)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--out', default=DEFAULT_OUT,
                   help='document to write, relative to the repository')
    p.add_argument('--check', action='store_true',
                   help='write nothing; fail if the document is out of date')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    out = osp.join(REPO, args.out)
    try:
        text = render(REPO)
    except MetafileError as e:
        sys.exit(f'model_zoo_table: {e}')
    if args.check:
        current = open(out).read() if osp.isfile(out) else None
        if current != text:
            sys.exit(f'{args.out} is out of date with configs/*/metafile.yml:'
                     ' run python tools/misc/model_zoo_table.py')
        print(f'{args.out} is up to date')
        return
    with open(out, 'w') as f:
        f.write(text)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
