"""Classes named once: the dataset's classes set every class count.

A user names the classes in one place, the dataset's ``metainfo.classes``
in the config or ``--classes a b c`` on the command line of
``tools/train.py`` / ``tools/test.py``; :func:`set_num_classes` then writes
that count into every head of the model config (RoI box and mask heads,
RefineMask's stages, CenterMask's MaskIoU head, the FCOS-style and
CenterNet-style dense heads, SpatialEmbeddings' seed maps,
CenterMask-Point's heatmap and saliency maps). It walks the model config by
the keys that each registered head uses to count classes
(:data:`CLASS_KEYS`); a head whose constructor counts classes under a key
it does not know is an error, never a silent skip.

Before training or testing, :func:`check_annotation_classes` compares the
categories of every annotation file with the classes and raises an error
that names the file and both lists when one lacks a class of the other.
"""
import copy
import inspect
import json
import mmap
import os.path as osp
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from mmengine.config import Config
from mmengine.logging import print_log

from mmseginst.registry import DATASETS, MODELS
from .config_checks import _iter_datasets

# Registered type -> the constructor arguments that count its classes.
# A subclass that adds no class-counting argument inherits its base's entry.
# ``()``: the head predicts class-agnostic outputs and keeps its count.
CLASS_KEYS: Dict[str, Tuple[str, ...]] = {
    # mmdet
    'RPNHead': (),  # one objectness class, whatever the dataset
    'BBoxHead': ('num_classes', ),
    'FCNMaskHead': ('num_classes', ),
    'MaskIoUHead': ('num_classes', ),
    'AnchorFreeHead': ('num_classes', ),  # FCOSHead and its relatives
    'AnchorHead': ('num_classes', ),  # RetinaHead, ATSSHead, ...
    'CenterNetHead': ('num_classes', ),
    # mmseginst
    'CenterMaskFCOSHead': ('num_classes', ),
    'CenterMaskPointFCOSHead': ('num_classes', ),
    'CenterMaskPointHead': ('num_classes', ),
    'GlobalSaliencyHead': ('num_classes', ),
    'EmbedMaskHead': ('num_classes', ),
    'SAGMaskHead': ('num_classes', ),
    'CenterMaskIoUHead': ('num_classes', ),
    'RefineMaskHead': ('num_classes', 'stage_num_classes'),
    'SimpleRefineMaskHead': ('num_classes', 'stage_num_classes'),
    'SpatialEmbeddingHead': ('num_classes', ),
    'SpatialEmbeddingLoss': ('foreground_weight', ),
}


def _is_class_argument(name: str) -> bool:
    return name.endswith('classes')


def _init_arguments(cls: type) -> List[str]:
    """Constructor argument names of ``cls``, following ``**kwargs`` up the
    MRO to the constructors they are passed to."""
    names: List[str] = []
    for klass in cls.__mro__:
        if '__init__' not in vars(klass):
            continue
        try:
            params = inspect.signature(klass.__init__).parameters.values()
        except (TypeError, ValueError):
            break
        names += [p.name for p in params if p.kind not in (
            p.VAR_KEYWORD, p.VAR_POSITIONAL) and p.name != 'self']
        if not any(p.kind == p.VAR_KEYWORD for p in params):
            break
    return names


def _resolve(type_: Any) -> Optional[type]:
    if isinstance(type_, type):
        return type_
    if isinstance(type_, str):
        return MODELS.get(type_)
    return None


def class_keys_of(type_: Any, path: str) -> Tuple[str, ...]:
    """The keys of :data:`CLASS_KEYS` for a registered type (a class or its
    registered name), found by its own name or the nearest base's.

    Raises:
        KeyError: The type counts classes in an argument this module does
            not know; the message names the type and the config ``path``.
    """
    cls = _resolve(type_)
    name = getattr(cls, '__name__', str(type_))
    known: Optional[Tuple[str, ...]] = None
    for klass in (cls.__mro__ if cls is not None else ()):
        if klass.__name__ in CLASS_KEYS:
            known = CLASS_KEYS[klass.__name__]
            break
    arguments = _init_arguments(cls) if cls is not None else []
    unknown = [a for a in arguments
               if _is_class_argument(a) and a not in (known or ())]
    if unknown and (known is None or name not in CLASS_KEYS):
        raise KeyError(
            f'{path}: set_num_classes does not know how head type {name!r} '
            f'counts classes (argument(s) {unknown}); add it to '
            'mmseginst.utils.classes.CLASS_KEYS, e.g. '
            f"CLASS_KEYS[{name!r}] = ('num_classes',)")
    return known or ()


def _set_key(cfg: dict, key: str, n: int, path: str,
             changes: List[Tuple[str, Any, Any]]) -> None:
    old = cfg.get(key)
    if key == 'num_classes':
        new = n
    elif key == 'stage_num_classes':
        if old is None:
            return  # derived from num_classes by the head
        # a stage of 1 class is class-agnostic (RefineMask on LVIS)
        new = [1 if c == 1 else n for c in old]
    elif isinstance(old, (list, tuple)) and len(old) != n:
        raise ValueError(
            f'{path}.{key} gives one value per class ({len(old)} values: '
            f'{list(old)}) but the dataset has {n} classes: give one value '
            'per class or a single number')
    else:
        return
    if old != new:
        changes.append((f'{path}.{key}', old, new))
    cfg[key] = new


def _walk(node: Any, n: int, path: str,
          changes: List[Tuple[str, Any, Any]]) -> None:
    if isinstance(node, (list, tuple)):
        for i, item in enumerate(node):
            _walk(item, n, f'{path}[{i}]', changes)
        return
    if not isinstance(node, dict):
        return
    if 'type' in node:
        if _resolve(node['type']) is None:
            listed = [k for k in node if _is_class_argument(k)]
            if listed:
                raise KeyError(
                    f'{path}: type {node["type"]!r} is not registered, so '
                    f'set_num_classes cannot tell what {listed} count')
        else:
            for key in class_keys_of(node['type'], path):
                _set_key(node, key, n, path, changes)
    for key, value in node.items():
        if isinstance(value, (dict, list, tuple)):
            _walk(value, n, f'{path}.{key}', changes)


def set_num_classes(model_cfg: dict, num_classes: int,
                    path: str = 'model') -> List[Tuple[str, Any, Any]]:
    """Set every class count of a model config to ``num_classes``.

    Walks the config (dicts and lists, wrappers such as TTA models
    included); for each registered type it writes the keys of
    :data:`CLASS_KEYS`: ``num_classes``; ``stage_num_classes`` (each stage
    but the class-agnostic ones of 1 class); per-class lists are checked.

    Args:
        model_cfg (dict): The ``model`` config, changed in place.
        num_classes (int): Number of classes of the dataset (>= 1).
        path (str): Name of the config for messages. Defaults to 'model'.

    Returns:
        list[tuple]: ``(key path, old value, new value)`` of each change.

    Raises:
        KeyError: A head whose class-counting arguments are not known.
        ValueError: ``num_classes`` < 1, or a per-class list of the wrong
            length. After an error ``model_cfg`` is unchanged.
    """
    if not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f'num_classes must be a positive integer, got '
                         f'{num_classes!r}')
    # a dry run on a copy first: an error leaves the config as it was
    _walk(copy.deepcopy(model_cfg), num_classes, path, [])
    changes: List[Tuple[str, Any, Any]] = []
    _walk(model_cfg, num_classes, path, changes)
    return changes


def model_class_counts(model_cfg: dict,
                       path: str = 'model') -> Dict[str, Any]:
    """``{key path: value}`` of every class count that
    :func:`set_num_classes` would write (absent keys are not listed)."""
    found: Dict[str, Any] = {}

    def visit(node, where):
        if isinstance(node, (list, tuple)):
            for i, item in enumerate(node):
                visit(item, f'{where}[{i}]')
        elif isinstance(node, dict):
            if 'type' in node and _resolve(node['type']) is not None:
                for key in class_keys_of(node['type'], where):
                    if key in node and key != 'foreground_weight':
                        found[f'{where}.{key}'] = node[key]
            for key, value in node.items():
                visit(value, f'{where}.{key}')

    visit(model_cfg, path)
    return found


# ----------------------------------------------------------------- datasets
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
_EVALUATORS = {'val_dataloader': 'val_evaluator',
               'test_dataloader': 'test_evaluator'}
# Annotation files up to this size are parsed whole; larger ones (COCO
# train: 450 MB, LVIS: 1.1 GB) only from their last "categories" key.
_FULL_PARSE_BYTES = 64 << 20


def _shorten(names: Sequence[str], limit: int = 30) -> str:
    names = list(names)
    if len(names) <= limit:
        return str(names)
    return f'{names[:limit]} ... ({len(names) - limit} more)'


def dataset_classes(ds_cfg: dict, key: str) -> Tuple[Tuple[str, ...], str]:
    """The classes of one dataset config and where they were read:
    ``metainfo.classes`` when given, else the dataset type's
    ``METAINFO['classes']``.

    Raises:
        KeyError: The dataset type is not registered.
        ValueError: No classes, or a class named twice.
    """
    metainfo = ds_cfg.get('metainfo') or {}
    if isinstance(metainfo, dict) and metainfo.get('classes') is not None:
        classes, where = metainfo['classes'], f'{key}.metainfo.classes'
    else:
        ds_type = ds_cfg.get('type')
        cls = DATASETS.get(ds_type) if isinstance(ds_type, str) else ds_type
        if cls is None:
            raise KeyError(f'{key}.type: dataset type {ds_type!r} is not '
                           'registered')
        classes = getattr(cls, 'METAINFO', {}).get('classes')
        where = f'{key} ({cls.__name__}.METAINFO)'
    if isinstance(classes, str):
        classes = (classes, )
    classes = tuple(classes or ())
    if not classes:
        raise ValueError(f'{where}: the dataset names no classes; set '
                         'metainfo=dict(classes=(...)) or pass --classes')
    twice = sorted({c for c in classes if classes.count(c) > 1})
    if twice:
        raise ValueError(f'{where}: class(es) {twice} named more than once '
                         f'in {list(classes)}')
    return classes, where


def config_classes(cfg: Config,
                   loaders: Iterable[str] = LOADERS
                   ) -> Optional[Tuple[Tuple[str, ...], str]]:
    """The classes shared by every dataset of the given dataloaders and
    where they were read, or None when the config has none of them.

    Raises:
        ValueError: Two datasets name different classes (both lists are in
            the message).
    """
    found = []
    for loader in loaders:
        loader_cfg = cfg.get(loader)
        if not isinstance(loader_cfg, dict):
            continue
        for key, ds in _iter_datasets(loader_cfg.get('dataset'),
                                      f'{loader}.dataset'):
            found.append(dataset_classes(ds, key))
    if not found:
        return None
    first, first_where = found[0]
    for classes, where in found[1:]:
        if classes != first:
            raise ValueError(
                f'the datasets of this config name different classes:\n'
                f'  {first_where}: {list(first)}\n  {where}: {list(classes)}'
                '\nname them once, e.g. with --classes')
    return first, first_where


def set_dataset_classes(cfg: Config, classes: Sequence[str]) -> None:
    """Write ``classes`` into ``metainfo`` of every dataset of the train,
    val and test dataloaders (wrapped datasets included)."""
    for loader in LOADERS:
        loader_cfg = cfg.get(loader)
        if not isinstance(loader_cfg, dict):
            continue
        for _, ds in _iter_datasets(loader_cfg.get('dataset'), loader):
            metainfo = dict(ds.get('metainfo') or {})
            metainfo['classes'] = tuple(classes)
            ds['metainfo'] = metainfo


def apply_classes(cfg: Config,
                  classes: Optional[Sequence[str]] = None
                  ) -> Optional[Tuple[str, ...]]:
    """Name the classes once: ``classes`` (from ``--classes``) go to every
    dataset; the datasets' classes set every class count of ``cfg.model``.

    Returns:
        tuple[str] | None: The classes (None: the config has no dataset).
    """
    if classes:
        set_dataset_classes(cfg, classes)
    found = config_classes(cfg)
    if found is None:
        return None
    classes, where = found
    changes = set_num_classes(cfg.model, len(classes))
    lines = ''.join(f'\n  {key}: {old} -> {new}' for key, old, new in changes)
    print_log(f'{len(classes)} classes from {where}: {_shorten(classes)}'
              + (f'; model class counts set:{lines}' if lines else ''),
              logger='current')
    return classes


def read_categories(ann_file: str) -> List[str]:
    """The category names of a COCO-format annotation file, in file order.

    Raises:
        ValueError: The file is not JSON or has no ``categories`` list of
            named categories; the message names the file.
    """
    with open(ann_file, 'rb') as f:
        if osp.getsize(ann_file) > _FULL_PARSE_BYTES:
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
                categories = _categories_at_end(buf)
            if categories is None:
                f.seek(0)
                categories = _categories_of(f, ann_file)
        else:
            categories = _categories_of(f, ann_file)
    if not isinstance(categories, list) or not all(
            isinstance(c, dict) and isinstance(c.get('name'), str)
            for c in categories):
        raise ValueError(f'annotation file {ann_file!r}: "categories" must '
                         'be a list of {"id": ..., "name": ...} entries')
    return [c['name'] for c in categories]


def _categories_of(f, ann_file: str):
    try:
        data = json.load(f)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f'annotation file {ann_file!r} is not valid JSON: '
                         f'{exc}') from exc
    if not isinstance(data, dict) or 'categories' not in data:
        raise ValueError(f'annotation file {ann_file!r} has no "categories" '
                         'list (is it a COCO-format file?)')
    return data['categories']


def _categories_at_end(buf) -> Optional[list]:
    """Parse the list after the last ``"categories":`` of a large file
    (where COCO and LVIS put it); None when that is not a list."""
    at = buf.rfind(b'"categories"')
    if at < 0:
        return None
    colon = buf.find(b':', at)
    tail = buf[colon + 1:].decode('utf-8', errors='replace').lstrip()
    try:
        value, _ = json.JSONDecoder().raw_decode(tail)
    except ValueError:
        return None
    return value if isinstance(value, list) else None


def compare_categories(classes: Sequence[str], categories: Sequence[str],
                       ann_file: str, where: str,
                       allow_subset: bool = False) -> None:
    """Raise ``ValueError`` naming ``ann_file`` and both lists when a class
    is not a category of the file, a category is named twice, or (unless
    ``allow_subset``) the file has a category that is not a class."""
    missing = [c for c in classes if c not in categories]
    extra = [c for c in categories if c not in classes]
    twice = sorted({c for c in categories if categories.count(c) > 1})
    # mmdet numbers labels in the file's category order, whatever the order
    # of the classes: another order names every label wrongly
    in_file_order = [c for c in categories if c in classes]
    misordered = not missing and not twice and in_file_order != list(classes)
    if not (missing or twice or misordered) and (allow_subset or not extra):
        return
    problems = []
    if misordered:
        problems.append(
            'the classes are not in the order of the file\'s categories '
            '(mmdet numbers labels in file order, so every label would get '
            f'another class\'s name); give them as {_shorten(in_file_order)}')
    if missing:
        problems.append(f'classes missing from the file: {_shorten(missing)}'
                        ' (no object of theirs would be loaded: zero AP)')
    if extra and not allow_subset:
        problems.append(
            f'categories of the file that are not classes: '
            f'{_shorten(extra)} (their objects would be dropped; pass '
            '--allow-class-subset if that is what you want)')
    if twice:
        problems.append(f'categories named twice in the file: {twice}')
    raise ValueError(
        f'annotation file {ann_file!r} does not match the classes of '
        f'{where}:\n  classes ({len(classes)}): {_shorten(classes)}\n'
        f'  categories of the file ({len(categories)}): '
        f'{_shorten(categories)}\n  ' + '\n  '.join(problems) +
        '\nName the classes once: metainfo=dict(classes=(...)) in the '
        'dataset config, or --classes NAME [NAME ...]')


def _local_json(path: str) -> bool:
    return bool(path) and '://' not in path and path.endswith('.json') \
        and osp.isfile(path)


def check_annotation_classes(cfg: Config,
                             loaders: Iterable[str],
                             allow_subset: bool = False) -> None:
    """Compare the categories of the annotation files of the given
    dataloaders (and of their evaluators' ``ann_file``) with the classes of
    their datasets; see :func:`compare_categories`. Remote, non-JSON and
    missing files are skipped (``check_data_paths`` reports the last)."""
    cache: Dict[str, List[str]] = {}

    def check(path, classes, where):
        if not _local_json(path):
            return
        if path not in cache:
            cache[path] = read_categories(path)
        compare_categories(classes, cache[path], path, where, allow_subset)

    for loader in loaders:
        loader_cfg = cfg.get(loader)
        if not isinstance(loader_cfg, dict):
            continue
        classes = None
        for key, ds in _iter_datasets(loader_cfg.get('dataset'),
                                      f'{loader}.dataset'):
            classes, where = dataset_classes(ds, key)
            root, ann = ds.get('data_root') or '', ds.get('ann_file') or ''
            if root and ann and not osp.isabs(ann) and '://' not in ann:
                ann = osp.join(root, ann)
            check(ann, classes, where)
        evaluators = cfg.get(_EVALUATORS.get(loader, ''))
        if classes is None or not evaluators:
            continue
        if isinstance(evaluators, dict):
            evaluators = [evaluators]
        for i, evaluator in enumerate(evaluators):
            if isinstance(evaluator, dict) and evaluator.get('ann_file'):
                check(evaluator['ann_file'], classes,
                      f'{loader} (checked for {_EVALUATORS[loader]}'
                      f'{"" if len(evaluators) == 1 else f"[{i}]"})')


def checkpoint_classes(checkpoint: str) -> Optional[Tuple[str, ...]]:
    """The classes a local checkpoint was trained on (its
    ``meta.dataset_meta.classes``), or None when it does not say."""
    if '://' in checkpoint or not osp.isfile(checkpoint):
        return None
    from .checkpoint import safe_torch_load
    ckpt = safe_torch_load(checkpoint, map_location='cpu')
    meta = ckpt.get('meta') if isinstance(ckpt, dict) else None
    dataset_meta = (meta or {}).get('dataset_meta') or {}
    classes = dataset_meta.get('classes')
    return tuple(classes) if classes is not None else None


def prepare_classes(cfg: Config,
                    loaders: Iterable[str],
                    classes: Optional[Sequence[str]] = None,
                    allow_subset: bool = False,
                    checkpoint: Optional[str] = None) -> None:
    """What the tools call after loading the config: :func:`apply_classes`,
    :func:`check_annotation_classes` for ``loaders`` (a subset of the files'
    categories is accepted with ``allow_subset`` or a config that sets
    ``allow_class_subset = True``) and, for a checkpoint
    to test, a check that it was trained on the same classes in the same
    order (its class count would differ from the model's otherwise).

    Raises:
        ValueError: Any mismatch; the message names both lists.
    """
    names = apply_classes(cfg, classes)
    if names is None:
        return
    allow_subset = allow_subset or bool(cfg.get('allow_class_subset'))
    check_annotation_classes(cfg, loaders, allow_subset)
    trained = checkpoint_classes(checkpoint) if checkpoint else None
    if trained is not None and trained != names:
        raise ValueError(
            f'checkpoint {checkpoint!r} was trained on other classes than '
            f'the data\'s:\n  checkpoint ({len(trained)}): '
            f'{_shorten(trained)}\n  data ({len(names)}): {_shorten(names)}'
            '\nTest it on data with its classes (--classes in that order), '
            'or train a model on these classes')


def read_tool_config(path: str,
                     cfg_options: Optional[dict] = None,
                     classes: Optional[Sequence[str]] = None) -> Config:
    """The config of an analysis tool: read ``path``, merge
    ``--cfg-options``, give ``--classes`` to its datasets, register every
    module and make the config's scope the default one."""
    from mmengine.registry import init_default_scope

    from .setup_env import register_all_modules
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file {path!r} does not exist')
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if classes:
        set_dataset_classes(cfg, classes)
    register_all_modules(init_default_scope=False)
    init_default_scope(cfg.get('default_scope', 'mmseginst'))
    return cfg
