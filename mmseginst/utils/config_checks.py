"""Up-front checks of a config's data paths, with errors that name them.

Runs before the runner is built so that a typo in ``data_root`` or
``ann_file`` stops the tool at once with the config key and the path at
fault, instead of deep inside a dataloader worker.
"""
import os.path as osp
from typing import Iterable, Iterator, Tuple

from mmengine.config import Config, ConfigDict

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


def check_data_paths(cfg: Config, loaders: Iterable[str]) -> None:
    """Raise ``FileNotFoundError`` naming the config key and path when a
    local data root, annotation file or image folder of the given
    dataloaders (e.g. ``('train_dataloader', 'val_dataloader')``) is
    missing. Remote paths (``s3://`` ...) are not checked."""
    for loader in loaders:
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
            prefix = ds.get('data_prefix') or {}
            for name, sub in prefix.items():
                path = _join(root, sub)
                if path and '://' not in path and not osp.isdir(path):
                    raise FileNotFoundError(
                        f'{key}.data_prefix.{name}: folder {path!r} does not '
                        'exist')
