"""Every method trains and tests on a COCO-format set with other classes,
named once with --classes, with no num_classes edited by hand."""
import json
import os.path as osp
import pickle
import shutil

import pytest
import torch
from mmengine.config import Config

from conftest import data_options, run_tool

# the shapes classes renamed, and the ellipses split in two by area: five
# classes with other names and category ids, listed in the file's order
NAMES = ('pebble', 'boulder', 'rod', 'wedge', 'starfish')
SHAPES_CONFIGS = [
    'configs/mask_rcnn/mask-rcnn_r18-w32_fpn_shapes.py',
    'configs/centermask/centermask_r18-w32_fpn_shapes.py',
    'configs/centermask_point/centermask-point_r18-w32_dla-up_shapes.py',
    'configs/embedmask/embedmask_r18-w32_fpn_shapes.py',
    'configs/refinemask/refinemask_r18-w32_fpn_shapes.py',
    'configs/spatial_embeddings/spatial-embeddings_r18-w32_fpn_shapes.py',
]


def rename_categories(src_root: str, dst_root: str) -> None:
    """Copy a shapes set with its categories renamed to :data:`NAMES`."""
    shutil.copytree(src_root, dst_root)
    ids = dict(zip(NAMES, (31, 17, 5, 12, 40)))
    for split in ('train', 'val'):
        path = osp.join(dst_root, 'annotations', f'instances_{split}.json')
        with open(path) as f:
            data = json.load(f)
        old = {c['id']: c['name'] for c in data['categories']}
        rename = dict(bar='rod', triangle='wedge', star='starfish')
        for ann in data['annotations']:
            name = old[ann['category_id']]
            name = rename.get(name) or (
                'pebble' if ann['area'] < 150 else 'boulder')
            ann['category_id'] = ids[name]
        data['categories'] = [dict(id=ids[n], name=n) for n in NAMES]
        with open(path, 'w') as f:
            json.dump(data, f)


@pytest.fixture(scope='module')
def five_classes(tiny_shapes, tmp_path_factory):
    root = str(tmp_path_factory.mktemp('five') / 'data') + '/'
    rename_categories(tiny_shapes, root)
    return root


def _options(root):
    return data_options(root) + [
        'train_cfg.max_iters=2', 'train_cfg.val_interval=1000',
        'train_dataloader.batch_size=2', 'default_hooks.checkpoint.interval=2',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False'
    ]


@pytest.mark.parametrize('config', SHAPES_CONFIGS)
def test_train_and_test_with_other_classes(config, five_classes, tmp_path):
    work = str(tmp_path)
    train = run_tool(['tools/train.py', config, '--work-dir', work,
                      '--classes', *NAMES, '--cfg-options',
                      *_options(five_classes)])
    assert "5 classes from train_dataloader.dataset.metainfo.classes" in (
        train.stdout + train.stderr)
    dumped = Config.fromfile(osp.join(work, osp.basename(config)))
    assert tuple(dumped.train_dataloader.dataset.metainfo.classes) == NAMES
    ckpt = torch.load(osp.join(work, 'iter_2.pth'), weights_only=False)
    assert tuple(ckpt['meta']['dataset_meta']['classes']) == NAMES

    out = osp.join(work, 'results.pkl')
    test = run_tool(['tools/test.py', config, osp.join(work, 'iter_2.pth'),
                     '--work-dir', work, '--out', out, '--classes', *NAMES,
                     '--cfg-options', *_options(five_classes)])
    # (after 2 iterations a model may detect nothing: no AP is printed then)
    assert 'Iter(test) [' in test.stdout + test.stderr
    with open(out, 'rb') as f:
        results = pickle.load(f)
    assert len(results) == 6
    for res in results:
        labels = res['pred_instances']['labels']
        assert labels.numel() == 0 or int(labels.max()) < len(NAMES)


def test_data_with_other_classes_is_refused(five_classes, tmp_path):
    config = SHAPES_CONFIGS[0]
    proc = run_tool(['tools/train.py', config, '--work-dir', str(tmp_path),
                     '--cfg-options', *_options(five_classes)], check=False)
    assert proc.returncode != 0
    ann = osp.join(five_classes, 'annotations', 'instances_train.json')
    assert f"annotation file '{ann}' does not match" in proc.stderr
    assert "classes (4): ['ellipse', 'bar', 'triangle', 'star']" in \
        proc.stderr
    assert f'categories of the file (5): {list(NAMES)}' in proc.stderr
    assert not osp.exists(osp.join(str(tmp_path), 'last_checkpoint'))

    # a checkpoint of five classes tested on data of two
    two = str(tmp_path / 'two') + '/'
    rename_categories(five_classes.rstrip('/'), two)
    for split in ('train', 'val'):
        path = osp.join(two, 'annotations', f'instances_{split}.json')
        with open(path) as f:
            data = json.load(f)
        data['categories'] = data['categories'][:2]
        with open(path, 'w') as f:
            json.dump(data, f)
    ckpt = str(tmp_path / 'five.pth')
    torch.save(dict(state_dict={}, meta=dict(
        dataset_meta=dict(classes=NAMES))), ckpt)
    proc = run_tool(['tools/test.py', config, ckpt, '--classes', *NAMES[:2],
                     '--cfg-options', *_options(two)], check=False)
    assert proc.returncode != 0
    assert f"checkpoint '{ckpt}' was trained on other classes" in proc.stderr
    assert f"data (2): {list(NAMES[:2])}" in proc.stderr
