"""Every method's bottles4 config trains for a few iterations on a few real
photos of assets/bottles4/ and is evaluated with COCO AP: finite losses,
segm AP computed."""
import glob
import json
import math
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from conftest import REPO
from mmseginst.utils import register_all_modules

ROOT = osp.join(REPO, 'assets', 'bottles4')
CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', '*', '*bottles4.py')))


@pytest.fixture(scope='module')
def subset(tmp_path_factory):
    """3 train and 2 val photos: their COCO files (paths)."""
    out = tmp_path_factory.mktemp('bottles4')
    files = {}
    for split, num in (('train', 3), ('val', 2)):
        with open(osp.join(ROOT, f'{split}.json')) as f:
            coco = json.load(f)
        coco['images'] = coco['images'][:num]
        ids = {img['id'] for img in coco['images']}
        coco['annotations'] = [
            a for a in coco['annotations'] if a['image_id'] in ids
        ]
        files[split] = str(out / f'{split}.json')
        with open(files[split], 'w') as f:
            json.dump(coco, f)
    return files


def _tiny(cfg, files, work_dir):
    """The config on the subset, images at half its size, 3 iterations at
    a constant learning rate, one evaluation."""
    for loader, split in (('train_dataloader', 'train'),
                          ('val_dataloader', 'val')):
        dataset = cfg[loader].dataset
        dataset.data_root = ROOT + '/'
        dataset.ann_file = files[split]
        for step in dataset.pipeline:
            if step['type'] == 'Resize':
                step['scale'] = tuple(s // 2 for s in step['scale'])
        cfg[loader].batch_size = 2
    cfg.test_dataloader = cfg.val_dataloader
    cfg.val_evaluator.ann_file = files['val']
    cfg.test_evaluator = cfg.val_evaluator
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=3,
                         val_interval=100)
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0,
                                by_epoch=False)]
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=100)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.default_hooks.visualization = dict(type='DetVisualizationHook')
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=0)
    return cfg


@pytest.mark.parametrize(
    'path', CONFIGS, ids=[osp.relpath(p, REPO) for p in CONFIGS])
def test_trains_and_evaluates_on_real_photos(path, subset, tmp_path):
    register_all_modules()
    cfg = _tiny(Config.fromfile(path), subset, str(tmp_path))
    runner = Runner.from_cfg(cfg)
    runner.train()
    loss = runner.message_hub.get_scalar('train/loss').current()
    assert math.isfinite(loss), f'{path}: loss {loss}'
    metrics = runner.val()
    assert 'coco/segm_mAP' in metrics, f'{path}: no segm AP in {metrics}'
    assert 0.0 <= metrics['coco/segm_mAP'] <= 1.0


def test_one_config_per_method():
    methods = {osp.basename(osp.dirname(p)) for p in CONFIGS}
    assert methods == {'mask_rcnn', 'centermask', 'centermask_point',
                       'embedmask', 'spatial_embeddings', 'refinemask'}
