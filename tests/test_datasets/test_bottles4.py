"""The bottles4 photos shipped in assets/bottles4/ and their dataset config."""
import json
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config

from conftest import REPO
from mmseginst.registry import DATASETS
from mmseginst.utils import register_all_modules

ROOT = osp.join(REPO, 'assets', 'bottles4')
CONFIG = osp.join(REPO, 'configs', '_base_', 'datasets',
                  'bottles4_instance.py')


def _dataset(loader):
    register_all_modules()
    cfg = Config.fromfile(CONFIG)
    dataset = cfg[loader].dataset
    dataset.data_root = ROOT + '/'  # tests may run from any folder
    return DATASETS.build(dataset)


def test_files_licence_and_sizes():
    files = [osp.join(d, f) for d, _, fs in os.walk(ROOT) for f in fs]
    sizes = [osp.getsize(f) for f in files]
    assert max(sizes) < 2 * 2**20, 'a file of 2 MB or more'
    assert sum(sizes) < 10 * 2**20
    with open(osp.join(ROOT, 'README.md')) as f:
        readme = f.read()
    assert 'CC BY 4.0' in readme and 'universe.roboflow.com' in readme
    for split in ('train', 'val'):
        with open(osp.join(ROOT, f'{split}.json')) as f:
            coco = json.load(f)
        for img in coco['images']:
            assert osp.isfile(osp.join(ROOT, 'images', img['file_name']))


@pytest.mark.parametrize('loader,split,num_images,num_objects',
                         [('train_dataloader', 'train', 109, 402),
                          ('val_dataloader', 'val', 32, 117)])
def test_categories_match_metainfo(loader, split, num_images, num_objects):
    with open(osp.join(ROOT, f'{split}.json')) as f:
        coco = json.load(f)
    names = [c['name'] for c in sorted(coco['categories'],
                                       key=lambda c: c['id'])]
    dataset = _dataset(loader)
    assert list(dataset.metainfo['classes']) == names
    assert len(dataset) == num_images
    assert sum(len(dataset.get_data_info(i)['instances'])
               for i in range(len(dataset))) == \
        num_objects
    # category ids map onto the labels 0..3 in id order
    assert dataset.cat2label == {c: i for i, c in enumerate(range(1, 5))}


def test_images_decode_with_their_objects():
    dataset = _dataset('train_dataloader')
    for i in (0, 50, len(dataset) - 1):
        item = dataset[i]
        image = item['inputs']
        # 512x512 photos at long side 256 (the config's Resize)
        assert tuple(image.shape) == (3, 256, 256)
        assert image.float().std() > 10  # a photo, not a blank
        gt = item['data_samples'].gt_instances
        assert len(gt) == len(dataset.get_data_info(i)['instances']) > 0
        assert gt.masks.to_ndarray().shape[1:] == (256, 256)
        areas = gt.masks.to_ndarray().reshape(len(gt), -1).sum(1)
        assert np.all(areas > 0)
    val = _dataset('val_dataloader')
    sample = val[0]['data_samples']
    # test pipeline: annotations in the original frame, image resized
    assert sample.ori_shape == (512, 512) and sample.img_shape == (256, 256)
    assert sample.gt_instances.masks.height == 512
