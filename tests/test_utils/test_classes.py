"""Classes named once: set_num_classes and the dataset / file checks."""
import glob
import inspect
import json
import os.path as osp

import pytest
import torch
from mmdet.models.roi_heads.mask_heads import FCNMaskHead
from mmengine.config import Config

from conftest import REPO
from mmseginst.registry import MODELS
from mmseginst.utils import classes as classes_mod
from mmseginst.utils import register_all_modules
from mmseginst.utils.classes import (apply_classes, check_annotation_classes,
                                     checkpoint_classes, compare_categories,
                                     config_classes, model_class_counts,
                                     prepare_classes, read_categories,
                                     set_num_classes)

register_all_modules()
CONFIGS = sorted(
    osp.relpath(p, REPO) for p in glob.glob(osp.join(REPO, 'configs', '*',
                                                     '*.py'))
    if '/_base_/' not in p)


def _typed_nodes(node, path='model'):
    """Every (path, dict with a registered type) of a config."""
    if isinstance(node, (list, tuple)):
        for i, item in enumerate(node):
            yield from _typed_nodes(item, f'{path}[{i}]')
    elif isinstance(node, dict):
        if isinstance(node.get('type'), str) and MODELS.get(node['type']):
            yield path, node
        for key, value in node.items():
            yield from _typed_nodes(value, f'{path}.{key}')


def _accepts_num_classes(cls):
    for klass in cls.__mro__:
        if '__init__' in vars(klass):
            params = inspect.signature(klass.__init__).parameters
            if 'num_classes' in params:
                return True
            if not any(p.kind == p.VAR_KEYWORD for p in params.values()):
                return False
    return False


@pytest.mark.parametrize('config', CONFIGS)
def test_every_head_of_every_config_follows(config):
    cfg = Config.fromfile(osp.join(REPO, config))
    stages_before = {
        path: list(node['stage_num_classes'])
        for path, node in _typed_nodes(cfg.model)
        if node.get('stage_num_classes') is not None}
    set_num_classes(cfg.model, 3)
    heads = 0
    for path, node in _typed_nodes(cfg.model):
        cls = MODELS.get(node['type'])
        if cls.__name__ == 'RPNHead' or not _accepts_num_classes(cls):
            assert node.get('num_classes') in (None, 1), path
            continue
        heads += 1
        assert node['num_classes'] == 3, f'{config}: {path}'
        if path in stages_before:
            expected = [1 if c == 1 else 3 for c in stages_before[path]]
            assert node['stage_num_classes'] == expected
    assert heads >= 1
    for key, value in model_class_counts(cfg.model).items():
        assert value == 3 or set(value) <= {1, 3}, key


def test_built_heads_predict_n_classes():
    cfg = Config.fromfile(
        osp.join(REPO, 'configs/refinemask/refinemask_r18-w32_fpn_shapes.py'))
    cfg.model.roi_head.mask_head.stage_num_classes = [4, 4, 1]
    changes = set_num_classes(cfg.model, 6)
    assert ('model.roi_head.mask_head.stage_num_classes', [4, 4, 1],
            [6, 6, 1]) in changes
    model = MODELS.build(cfg.model)
    assert model.roi_head.bbox_head.fc_cls.out_features == 6 + 1
    assert model.roi_head.mask_head.stage_num_classes == [6, 6, 1]
    assert model.roi_head.mask_head.final_logits.out_channels == 1


def test_lists_per_class_and_bad_counts():
    model = dict(type='SpatialEmbeddings', mask_head=dict(
        type='SpatialEmbeddingHead', num_classes=2,
        loss=dict(type='SpatialEmbeddingLoss', foreground_weight=[1., 2.])))
    with pytest.raises(ValueError, match=r'model\.mask_head\.loss\.'
                       r'foreground_weight .*2 values.*3 classes'):
        set_num_classes(model, 3)
    assert model['mask_head']['num_classes'] == 2  # unchanged on error
    model['mask_head']['loss']['foreground_weight'] = 10.0
    assert set_num_classes(model, 3) == [('model.mask_head.num_classes', 2,
                                          3)]
    assert model['mask_head']['loss']['foreground_weight'] == 10.0
    for bad in (0, -1, 2.0):
        with pytest.raises(ValueError, match='positive integer'):
            set_num_classes(model, bad)


def test_unknown_heads_are_errors_subclasses_inherit():
    class CountsThingsHead(torch.nn.Module):

        def __init__(self, num_things_classes=80, in_channels=8):
            super().__init__()

    class PlainSubclassMaskHead(FCNMaskHead):
        pass

    class MoreClassesMaskHead(FCNMaskHead):

        def __init__(self, num_stuff_classes=53, **kwargs):
            super().__init__(**kwargs)

    model = dict(type='MaskRCNN', roi_head=dict(
        type='StandardRoIHead',
        mask_head=dict(type=PlainSubclassMaskHead, num_classes=80)))
    set_num_classes(model, 5)
    assert model['roi_head']['mask_head']['num_classes'] == 5
    for head in (CountsThingsHead, MoreClassesMaskHead):
        model['roi_head']['mask_head'] = dict(type=head)
        with pytest.raises(KeyError, match=rf'model\.roi_head\.mask_head: '
                           rf".*{head.__name__}.*CLASS_KEYS"):
            set_num_classes(model, 5)
    model['roi_head']['mask_head'] = dict(type='NoSuchHead', num_classes=3)
    with pytest.raises(KeyError, match="'NoSuchHead' is not registered"):
        set_num_classes(model, 5)
    # the RPN head stays class-agnostic
    model['roi_head']['mask_head'] = dict(type='RPNHead', num_classes=1,
                                          in_channels=4)
    assert set_num_classes(model, 5) == []


def _coco(path, names, ids=None):
    ids = ids or list(range(1, len(names) + 1))
    data = dict(images=[], annotations=[], categories=[
        dict(id=i, name=n, synonyms=[n, n.upper()])
        for i, n in zip(ids, names)])
    with open(path, 'w') as f:
        json.dump(data, f)
    return str(path)


def test_read_categories_small_and_large(tmp_path, monkeypatch):
    path = tmp_path / 'ann.json'
    data = dict(info=dict(note='"categories": ["decoy"]'),
                images=[dict(id=1, file_name='categories.png')],
                annotations=[], categories=[
                    dict(id=7, name='b', synonyms=['x', ['y']]),
                    dict(id=3, name='a', synonyms=[])])
    path.write_text(json.dumps(data))
    assert read_categories(str(path)) == ['b', 'a']
    monkeypatch.setattr(classes_mod, '_FULL_PARSE_BYTES', 0)
    assert read_categories(str(path)) == ['b', 'a']
    (tmp_path / 'bad.json').write_text('{"categories": [')
    with pytest.raises(ValueError, match=r"'.*bad\.json' is not valid JSON"):
        read_categories(str(tmp_path / 'bad.json'))
    (tmp_path / 'none.json').write_text('{"images": []}')
    with pytest.raises(ValueError, match='none.json.*no "categories"'):
        read_categories(str(tmp_path / 'none.json'))


@pytest.mark.parametrize('categories,subset,match', [
    (['a', 'b'], False, r"classes missing from the file: \['c'\]"),
    (['a', 'b', 'c', 'd'], False, r"not classes: \['d'\]"),
    (['b', 'a', 'c'], False, r"not in the order.*\['b', 'a', 'c'\]"),
    (['a', 'b', 'c', 'c'], False, r"named twice in the file: \['c'\]"),
])
def test_compare_categories_errors(categories, subset, match):
    with pytest.raises(ValueError, match=match) as err:
        compare_categories(('a', 'b', 'c'), categories, 'x/ann.json',
                           'train_dataloader.dataset', subset)
    text = str(err.value)
    assert "'x/ann.json'" in text
    assert "classes (3): ['a', 'b', 'c']" in text
    assert f'categories of the file ({len(categories)}): {categories}' in text


def test_compare_categories_accepts():
    compare_categories(('a', 'b'), ['a', 'b'], 'f.json', 'w')
    # a subset in the file's order, when asked for
    compare_categories(('a', 'c'), ['a', 'b', 'c'], 'f.json', 'w', True)
    with pytest.raises(ValueError, match='not in the order'):
        compare_categories(('c', 'a'), ['a', 'b', 'c'], 'f.json', 'w', True)


def _cfg(tmp_path, train_classes=None, val_ann='val.json'):
    ds = dict(type='CocoDataset', data_root=str(tmp_path),
              ann_file='train.json')
    if train_classes is not None:
        ds['metainfo'] = dict(classes=train_classes)
    return Config(dict(
        model=dict(type='MaskRCNN', roi_head=dict(
            type='StandardRoIHead',
            bbox_head=dict(type='Shared2FCBBoxHead', num_classes=80),
            mask_head=dict(type='FCNMaskHead', num_classes=80))),
        train_dataloader=dict(dataset=dict(type='RepeatDataset', times=2,
                                           dataset=ds)),
        val_dataloader=dict(dataset=dict(type='CocoDataset',
                                         data_root=str(tmp_path),
                                         ann_file=val_ann)),
        val_evaluator=dict(type='CocoMetric',
                           ann_file=str(tmp_path / val_ann))))


def test_apply_classes_and_file_checks(tmp_path):
    _coco(tmp_path / 'train.json', ['cat', 'dog'])
    _coco(tmp_path / 'val.json', ['cat', 'dog'], ids=[5, 9])
    cfg = _cfg(tmp_path)
    assert config_classes(cfg)[0] == classes_mod.DATASETS.get(
        'CocoDataset').METAINFO['classes']
    assert apply_classes(cfg, ['cat', 'dog']) == ('cat', 'dog')
    inner = cfg.train_dataloader.dataset.dataset
    assert inner.metainfo.classes == ('cat', 'dog')
    assert cfg.val_dataloader.dataset.metainfo.classes == ('cat', 'dog')
    assert model_class_counts(cfg.model) == {
        'model.roi_head.bbox_head.num_classes': 2,
        'model.roi_head.mask_head.num_classes': 2}
    check_annotation_classes(cfg, ['train_dataloader', 'val_dataloader'])

    # the evaluator's file is checked too
    _coco(tmp_path / 'other.json', ['cat', 'dog', 'cow'])
    cfg.val_evaluator.ann_file = str(tmp_path / 'other.json')
    with pytest.raises(ValueError, match=r"other\.json.*val_evaluator"):
        check_annotation_classes(cfg, ['val_dataloader'])


def test_datasets_naming_other_classes(tmp_path):
    cfg = _cfg(tmp_path, train_classes=('cat', 'dog'))
    with pytest.raises(ValueError, match=r"different classes:\n  "
                       r"train_dataloader.*\['cat', 'dog'\]\n  val_"):
        apply_classes(cfg)


def test_checkpoint_classes(tmp_path):
    _coco(tmp_path / 'train.json', ['cat', 'dog'])
    _coco(tmp_path / 'val.json', ['cat', 'dog'])
    ckpt = str(tmp_path / 'ckpt.pth')
    torch.save(dict(state_dict={}, meta=dict(
        dataset_meta=dict(classes=('dog', 'cat')))), ckpt)
    assert checkpoint_classes(ckpt) == ('dog', 'cat')
    cfg = _cfg(tmp_path, train_classes=('cat', 'dog'))
    cfg.val_dataloader.dataset.metainfo = dict(classes=('cat', 'dog'))
    with pytest.raises(ValueError, match=r"ckpt\.pth' was trained on other "
                       r"classes.*\n  checkpoint \(2\): \['dog', 'cat'\]\n  "
                       r"data \(2\): \['cat', 'dog'\]"):
        prepare_classes(cfg, ['val_dataloader'], checkpoint=ckpt)
    torch.save(dict(state_dict={}, meta=dict(
        dataset_meta=dict(classes=('cat', 'dog')))), ckpt)
    prepare_classes(cfg, ['val_dataloader'], checkpoint=ckpt)
    torch.save(dict(state_dict={}), ckpt)
    assert checkpoint_classes(ckpt) is None


def test_config_may_allow_a_subset(tmp_path):
    _coco(tmp_path / 'train.json', ['cat', 'dog', 'cow'])
    _coco(tmp_path / 'val.json', ['cat', 'dog', 'cow'])
    cfg = _cfg(tmp_path, train_classes=('dog', ))
    cfg.val_dataloader.dataset.metainfo = dict(classes=('dog', ))
    loaders = ['train_dataloader', 'val_dataloader']
    with pytest.raises(ValueError, match=r"not classes: \['cat', 'cow'\]"):
        prepare_classes(cfg, loaders)
    prepare_classes(cfg, loaders, allow_subset=True)
    cfg.allow_class_subset = True  # as the Cityscapes car configs say
    prepare_classes(cfg, loaders)
    assert model_class_counts(cfg.model)[
        'model.roi_head.mask_head.num_classes'] == 1
