"""Annotation loading problems turned into messages that name the file."""
import contextlib
import json
import logging
import os.path as osp
from typing import Iterator, List, Optional

from mmengine.logging import print_log


def check_annotation_file(ann_file: str, hint: Optional[str] = None) -> None:
    """Raise ``FileNotFoundError`` naming ``ann_file`` (and its folder when
    that is missing too) if the annotation file does not exist."""
    if osp.isfile(ann_file):
        return
    folder = osp.dirname(ann_file) or '.'
    where = ('' if osp.isdir(folder) else
             f' (its folder {folder!r} does not exist either)')
    msg = f'annotation file {ann_file!r} not found{where}'
    if hint:
        msg += f'; {hint}'
    raise FileNotFoundError(msg)


def _file_being_parsed(tb) -> Optional[str]:
    """The annotation file that the innermost pycocotools ``COCO`` (or an
    mmengine ``load``) of a traceback was reading."""
    found = None
    while tb is not None:
        local = tb.tb_frame.f_locals
        for name in ('annotation_file', 'file'):
            if isinstance(local.get(name), str):
                found = local[name]
        tb = tb.tb_next
    return found


@contextlib.contextmanager
def annotation_errors_named() -> Iterator[None]:
    """Turn a ``json.JSONDecodeError`` raised while a dataset or an
    evaluator reads its annotation file (pycocotools does not name it) into
    a ``ValueError`` that names the file. Also a function decorator."""
    try:
        yield
    except json.JSONDecodeError as exc:
        path = _file_being_parsed(exc.__traceback__)
        if path is None:
            raise
        raise ValueError(
            f'JSON file {path!r} cannot be read (truncated, empty or not '
            f'JSON): {exc}') from exc


def _leaf_datasets(dataset) -> Iterator:
    """A dataset and those wrapped in it (Concat, Repeat, ClassBalanced)."""
    inner = getattr(dataset, 'datasets', None) or \
        [getattr(dataset, 'dataset', None)]
    inner = [d for d in inner if d is not None]
    if not inner:
        yield dataset
    for d in inner:
        yield from _leaf_datasets(d)


def _has_instances(dataset) -> bool:
    for i in range(len(dataset)):
        if dataset.get_data_info(i).get('instances'):
            return True
    return False


def warn_if_no_ground_truth(dataset) -> List[str]:
    """Warn, naming the annotation file, when a (training) dataset holds no
    object at all: no category of the file is named as one of the
    dataset's classes, its annotations use other category ids, or it has
    none. Returns the warnings given."""
    warnings = []
    for ds in _leaf_datasets(dataset):
        if not getattr(ds, 'ann_file', None) or _has_instances(ds):
            continue
        classes = tuple(ds.metainfo.get('classes', ()))
        if getattr(ds, 'cat_ids', None) == []:
            why = f'none of its categories is named as a class {classes}'
        else:
            why = ('it has no annotation of the categories of the classes '
                   f'{classes} (or none at all)')
        warnings.append(f'annotation file {ds.ann_file!r}: {why}; training '
                        f'on its {len(ds)} images learns no object')
        print_log(warnings[-1], logger='current', level=logging.WARNING)
    return warnings
