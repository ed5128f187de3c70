"""Bad input stops with an error that names the file or key at fault, and
degenerate annotations train without NaN."""
import json
import math
import os.path as osp
import shutil

import numpy as np
import pytest

from conftest import TINY_CONFIG, data_options, run_tool
from mmseginst.datasets.shapes_generator import encode_mask


def test_missing_data_root_names_key_and_path(tmp_path):
    missing = str(tmp_path / 'no_such_root') + '/'
    proc = run_tool(['tools/train.py', TINY_CONFIG, '--work-dir',
                     str(tmp_path / 'w'), '--cfg-options',
                     *data_options(missing)], check=False)
    assert proc.returncode != 0
    assert 'train_dataloader.dataset.data_root' in proc.stderr
    assert missing in proc.stderr
    assert not osp.exists(tmp_path / 'w')  # nothing written


def test_missing_annotation_file_names_path(tiny_shapes, tmp_path):
    proc = run_tool(['tools/train.py', TINY_CONFIG, '--work-dir',
                     str(tmp_path / 'w'), '--cfg-options',
                     *data_options(tiny_shapes),
                     'train_dataloader.dataset.ann_file=annotations/x.json'],
                    check=False)
    assert proc.returncode != 0
    assert osp.join(tiny_shapes, 'annotations/x.json') in proc.stderr
    assert 'train_dataloader.dataset.ann_file' in proc.stderr


def test_missing_config_and_checkpoint(tmp_path, tiny_shapes):
    proc = run_tool(['tools/train.py', 'configs/nope.py'], check=False)
    assert proc.returncode != 0 and 'configs/nope.py' in proc.stderr
    proc = run_tool(['tools/test.py', TINY_CONFIG, str(tmp_path / 'x.pth'),
                     '--cfg-options', *data_options(tiny_shapes)],
                    check=False)
    assert proc.returncode != 0 and str(tmp_path / 'x.pth') in proc.stderr


def test_shapes_dataset_missing_annotation_hint(tmp_path):
    from mmseginst.datasets import ShapesDataset
    with pytest.raises(FileNotFoundError, match='generate_shapes.py'):
        ShapesDataset(data_root=str(tmp_path), ann_file='a/b.json',
                      pipeline=[])


@pytest.fixture
def copied_shapes(tiny_shapes, tmp_path):
    root = tmp_path / 'copy'
    shutil.copytree(tiny_shapes, root)
    return str(root) + '/'


def test_corrupt_image_names_the_file(copied_shapes, tmp_path):
    bad = osp.join(copied_shapes, 'train', '000003.png')
    with open(bad, 'wb') as f:
        f.write(b'this is not a png')
    proc = run_tool(['tools/train.py', TINY_CONFIG, '--work-dir',
                     str(tmp_path / 'w'), '--cfg-options',
                     *data_options(copied_shapes),
                     'train_dataloader.sampler.shuffle=False',
                     'train_cfg.max_iters=3'], check=False)
    assert proc.returncode != 0
    assert bad in proc.stderr


def _degenerate_annotations(root):
    path = osp.join(root, 'annotations', 'instances_train.json')
    coco = json.load(open(path))
    anns = coco['annotations']
    first = coco['images'][0]['id']
    second = coco['images'][1]['id']
    # image 1: one box whose mask is empty, one line-like polygon (zero area
    # mask), one box of zero width (filtered by the dataset)
    anns = [a for a in anns if a['image_id'] not in (first, second)]
    empty_rle = encode_mask(np.zeros((64, 64), bool))
    anns += [
        dict(id=9001, image_id=first, category_id=1, iscrowd=0, area=4.0,
             bbox=[10.0, 10.0, 6.0, 6.0], segmentation=empty_rle),
        dict(id=9002, image_id=first, category_id=2, iscrowd=0, area=1.0,
             bbox=[20.0, 20.0, 10.0, 1.0],
             segmentation=[[20.0, 20.0, 30.0, 20.0, 25.0, 20.0]]),
        dict(id=9003, image_id=first, category_id=3, iscrowd=0, area=0.0,
             bbox=[5.0, 5.0, 0.0, 3.0], segmentation=[[5, 5, 5, 8, 5, 6]]),
    ]
    # image 2 keeps no instance at all
    coco['annotations'] = anns
    json.dump(coco, open(path, 'w'))
    return first, second


def test_degenerate_masks_and_empty_images_train_without_nan(
        copied_shapes, tmp_path):
    _degenerate_annotations(copied_shapes)
    work = tmp_path / 'w'
    # batches made only of the two degenerate images
    proc = run_tool(['tools/train.py', TINY_CONFIG, '--work-dir', str(work),
                     '--cfg-options', *data_options(copied_shapes),
                     'train_dataloader.sampler.shuffle=False',
                     'train_dataloader.batch_size=2',
                     'train_cfg.max_iters=4', 'train_cfg.val_interval=100'])
    scalars = [json.loads(line) for p in work.glob('*/vis_data/scalars.json')
               for line in open(p)]
    losses = [s for s in scalars if 'loss' in s]
    assert len(losses) == 4
    for s in losses:
        for key, value in s.items():
            if key.startswith('loss'):
                assert math.isfinite(value), (key, value, proc.stdout[-2000:])
