"""Every config under configs/ parses; every distinct model among them builds
with random weights and runs ``loss`` and ``predict`` on a small synthetic
batch (configs that differ only in schedule or data share one model run)."""
import glob
import math
import os.path as osp

import pytest
import torch
from mmdet.testing import demo_mm_inputs
from mmengine.config import Config

from conftest import REPO
from mmseginst.registry import MODELS
from mmseginst.utils import register_all_modules
from mmseginst.utils.misc import drop_pretrained, find_values

CONFIGS = sorted(
    p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                         recursive=True) if '_base_' not in p)


def _group_by_model(paths):
    groups = {}
    for path in paths:
        model = Config(dict(model=Config.fromfile(path).model)).pretty_text
        groups.setdefault(model, []).append(path)
    return [group[0] for group in groups.values()]


MODEL_CONFIGS = _group_by_model(CONFIGS)


def _num_classes(cfg):
    values = [v for v in find_values(cfg.model, 'num_classes')
              if isinstance(v, int)]
    return min(values) if values else 1


@pytest.mark.parametrize(
    'path', CONFIGS, ids=[osp.relpath(p, REPO) for p in CONFIGS])
def test_config_parses(path):
    cfg = Config.fromfile(path)
    assert cfg.get('default_scope') == 'mmseginst', \
        f'{path}: configs must use default_scope="mmseginst"'
    for key in ('model', 'train_dataloader', 'test_dataloader',
                'test_evaluator', 'optim_wrapper', 'train_cfg'):
        assert key in cfg, f'{path} lacks {key}'


@pytest.mark.parametrize(
    'path', MODEL_CONFIGS, ids=[osp.relpath(p, REPO) for p in MODEL_CONFIGS])
def test_model_builds_and_runs(path):
    register_all_modules()
    cfg = Config.fromfile(path)
    drop_pretrained(cfg.model)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    num_classes = _num_classes(cfg)
    # demo_mm_inputs draws labels in [1, num_classes): it needs >= 2
    # classes; a one-class model (e.g. Cityscapes cars) gets label 0
    packed = demo_mm_inputs(
        2, [(3, 128, 128), (3, 96, 128)], num_items=[3, 0],
        num_classes=max(num_classes, 2), with_mask=True)
    for sample in packed['data_samples']:
        sample.gt_instances.labels %= num_classes
    model.train()
    data = model.data_preprocessor(packed, True)
    losses = model(**data, mode='loss')
    total, log_vars = model.parse_losses(losses)
    assert math.isfinite(total.item()), log_vars
    total.backward()

    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(packed, False)
        results = model(**data, mode='predict')
    assert len(results) == 2
    for res, sample in zip(results, packed['data_samples']):
        pred = res.pred_instances
        for field in ('scores', 'labels', 'bboxes', 'masks'):
            assert field in pred, f'{path}: prediction lacks {field}'
        if len(pred):
            assert tuple(pred.masks.shape[-2:]) == sample.ori_shape


METAFILES = sorted(glob.glob(osp.join(REPO, 'configs', '*', 'metafile.yml')))


@pytest.mark.parametrize(
    'path', METAFILES, ids=[osp.relpath(p, REPO) for p in METAFILES])
def test_metafile_lists_every_config(path):
    """OpenMMLab metafile: parses, names existing configs, lists every
    config of its folder, and each model has a name and results."""
    import yaml
    with open(path) as f:
        meta = yaml.safe_load(f)
    models = meta['Models']
    listed = [m['Config'] for m in models]
    for m in models:
        assert m.get('Name'), f'{path}: a model without a Name'
        assert osp.isfile(osp.join(REPO, m['Config'])), m['Config']
        assert 'Results' in m, f"{path}: {m['Name']} has no Results"
    in_folder = sorted(
        osp.relpath(p, REPO)
        for p in glob.glob(osp.join(osp.dirname(path), '*.py')))
    assert sorted(set(in_folder) - set(listed)) == []
    assert len(set(m['Name'] for m in models)) == len(models)
