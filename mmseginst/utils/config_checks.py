"""Up-front checks of a config, with errors that name the key at fault.

Run before the runner is built (and before the work dir is written) so that
a typo in ``data_root``, ``ann_file`` or ``--cfg-options``, or a model whose
class count differs from the data's, stops the tool at once with the config
key and the value at fault, instead of deep inside a dataloader worker or a
loss.
"""
import difflib
import inspect
import logging
import os.path as osp
from typing import Iterable, Iterator, List, Optional, Tuple

from mmengine.config import Config, ConfigDict
from mmengine.logging import print_log

_WRAPPER_KEYS = ('dataset', 'datasets')


def _iter_datasets(cfg: dict, key: str) -> Iterator[Tuple[str, dict]]:
    """Yield ``(config key, dataset cfg)`` for a dataset and the datasets
    wrapped inside it (RepeatDataset, ClassBalancedDataset, ConcatDataset)."""
    if not isinstance(cfg, dict):
        return
    nested = False
    for wkey in _WRAPPER_KEYS:
        inner = cfg.get(wkey)
        if isinstance(inner, dict):
            nested = True
            yield from _iter_datasets(inner, f'{key}.{wkey}')
        elif isinstance(inner, (list, tuple)):
            nested = True
            for i, item in enumerate(inner):
                yield from _iter_datasets(item, f'{key}.{wkey}[{i}]')
    if not nested:
        yield key, cfg


def _join(root: str, path: str) -> str:
    if not path or osp.isabs(path) or '://' in path or not root:
        return path
    return osp.join(root, path)


def check_annotation_json(path: str, key: str) -> None:
    """Raise ``ValueError`` naming ``key`` and ``path`` when a local JSON
    annotation file is empty or visibly not a whole JSON document (its
    first and last characters are looked at, the file is not parsed)."""
    if '://' in path or not path.endswith('.json') or not osp.isfile(path):
        return
    size = osp.getsize(path)
    with open(path, 'rb') as f:
        head = f.read(64).lstrip()
        f.seek(max(0, size - 64))
        tail = f.read().rstrip()
    problem = None
    if not head:
        problem = 'is empty' if size == 0 else 'holds only white space'
    elif head[:1] not in (b'{', b'['):
        problem = 'is not JSON (it does not start with "{" or "[")'
    elif tail[-1:] not in (b'}', b']'):
        problem = ('is truncated or not JSON (it does not end with "}" or '
                   '"]")')
    if problem:
        raise ValueError(f'{key}: annotation file {path!r} {problem}')


def _evaluator_files(cfg: Config, key: str) -> Iterator[Tuple[str, str]]:
    """``(config key, ann_file)`` of the metrics of an evaluator config (a
    metric dict, a list of them, or ``dict(metrics=...)``)."""
    evaluator = cfg.get(key)
    metrics = evaluator
    if isinstance(evaluator, dict) and 'metrics' in evaluator:
        metrics, key = evaluator['metrics'], f'{key}.metrics'
    if isinstance(metrics, dict):
        metrics = [metrics]
        keys = [key]
    elif isinstance(metrics, (list, tuple)):
        keys = [f'{key}[{i}]' for i in range(len(metrics))]
    else:
        return
    for metric_key, metric in zip(keys, metrics):
        if isinstance(metric, dict) and metric.get('ann_file'):
            yield f'{metric_key}.ann_file', metric['ann_file']


def _check_evaluator_files(cfg: Config, evaluator: str) -> None:
    for key, ann in _evaluator_files(cfg, evaluator):
        if '://' not in ann and not osp.isfile(ann):
            raise FileNotFoundError(
                f'{key}: annotation file {ann!r} does not exist. Set it in '
                f'the config or with --cfg-options {key}=PATH')
        check_annotation_json(ann, key)


def check_data_paths(cfg: Config, loaders: Iterable[str]) -> None:
    """Raise ``FileNotFoundError`` naming the config key and path when a
    local data root, annotation file or image folder of the given
    dataloaders (e.g. ``('train_dataloader', 'val_dataloader')``) is
    missing, or the ``ann_file`` of the evaluator of ``val_dataloader`` /
    ``test_dataloader``; ``ValueError`` when such an annotation file is
    empty or cut short (:func:`check_annotation_json`). Remote paths
    (``s3://`` ...) are not checked."""
    for loader in loaders:
        if loader in ('val_dataloader', 'test_dataloader'):
            _check_evaluator_files(
                cfg, loader.replace('_dataloader', '_evaluator'))
        loader_cfg = cfg.get(loader)
        if not isinstance(loader_cfg, (dict, ConfigDict)):
            continue
        for key, ds in _iter_datasets(loader_cfg.get('dataset'),
                                      f'{loader}.dataset'):
            root = ds.get('data_root') or ''
            if root and '://' not in root and not osp.isdir(root):
                raise FileNotFoundError(
                    f'{key}.data_root: folder {root!r} does not exist '
                    f'(dataset {ds.get("type")}). Set it in the config or '
                    f'with --cfg-options {key}.data_root=PATH')
            ann = _join(root, ds.get('ann_file') or '')
            if ann and '://' not in ann and not osp.isfile(ann):
                raise FileNotFoundError(
                    f'{key}.ann_file: annotation file {ann!r} does not exist')
            check_annotation_json(ann, f'{key}.ann_file')
            prefix = ds.get('data_prefix') or {}
            for name, sub in prefix.items():
                path = _join(root, sub)
                if path and '://' not in path and not osp.isdir(path):
                    raise FileNotFoundError(
                        f'{key}.data_prefix.{name}: folder {path!r} does not '
                        'exist')


def _known_top_level_keys(cfg: Config) -> List[str]:
    """The config's keys, the Runner's arguments and the keys the tools
    read."""
    from mmengine.runner import Runner
    runner_args = inspect.signature(Runner.__init__).parameters
    return sorted(set(cfg.keys()) | set(runner_args) - {'self'}
                  | {'runner_type', 'tta_model', 'tta_pipeline'})


def check_cfg_options(cfg: Config, options: Optional[dict]) -> None:
    """Refuse a ``--cfg-options`` key whose first part is not a key of the
    config but is close to one (a misspelling), naming the nearest key.

    A new top-level key that resembles no known key is let through (it
    may be read by a custom component), with a warning.
    """
    known = _known_top_level_keys(cfg)
    for option in options or {}:
        top = option.split('.', 1)[0]
        if top in known:
            continue
        near = difflib.get_close_matches(top, known, n=1, cutoff=0.75)
        if near:
            raise ValueError(
                f'--cfg-options {option}: the config has no key {top!r}; '
                f'did you mean {near[0]!r}?')
        print_log(f'--cfg-options {option}: {top!r} is not a key of the '
                  'config; it is added as a new top-level key',
                  logger='current', level=logging.WARNING)
