"""Cityscapes read from gtFine instanceIds, on a tiny synthetic folder; the
official instance metric (cityscapesscripts through mmdet) on it."""
import os
import os.path as osp

import numpy as np
import pycocotools.mask as mask_utils
import pytest
import torch
from mmengine.structures import InstanceData
from PIL import Image

from mmseginst.utils import register_all_modules

H, W = 64, 128


def instance_maps():
    """Two images: cars 26001/26002, a person, a car group (26), road."""
    a = np.full((H, W), 7, dtype=np.int32)  # road (stuff)
    a[5:30, 10:40] = 26001
    a[35:60, 50:100] = 26002
    a[10:40, 100:120] = 24000  # person with instance number 0
    a[40:60, 0:20] = 26  # car group: crowd -> background
    b = np.full((H, W), 7, dtype=np.int32)
    b[20:50, 30:70] = 24001
    return {'aachen_000000_000019': a, 'aachen_000001_000019': b}


@pytest.fixture(scope='module')
def tiny_cityscapes(tmp_path_factory):
    root = tmp_path_factory.mktemp('cityscapes')
    rng = np.random.default_rng(0)
    for split in ('train', 'val'):
        os.makedirs(root / 'leftImg8bit' / split / 'aachen')
        os.makedirs(root / 'gtFine' / split / 'aachen')
        for stem, ids in instance_maps().items():
            Image.fromarray(rng.integers(0, 255, (H, W, 3), np.uint8)).save(
                root / 'leftImg8bit' / split / 'aachen' /
                f'{stem}_leftImg8bit.png')
            Image.fromarray(ids.astype(np.uint16)).save(
                root / 'gtFine' / split / 'aachen' /
                f'{stem}_gtFine_instanceIds.png')
    return str(root) + '/'


def build(root, split='val', **kwargs):
    register_all_modules()
    from mmseginst.registry import DATASETS
    cfg = dict(type='CityscapesInstanceIdsDataset', data_root=root,
               data_prefix=dict(img=f'leftImg8bit/{split}/',
                                seg=f'gtFine/{split}/'),
               pipeline=[])
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def test_decoding_all_classes(tiny_cityscapes):
    ds = build(tiny_cityscapes, test_mode=True)
    assert len(ds) == 2
    info = ds.get_data_info(0)
    assert (info['height'], info['width']) == (H, W)
    insts = info['instances']
    # person (label 0) first, then the two cars (label 2); no crowd
    assert [i['bbox_label'] for i in insts] == [0, 2, 2]
    assert insts[1]['bbox'] == [10.0, 5.0, 40.0, 30.0]
    car = mask_utils.decode(insts[2]['mask'])
    assert car.sum() == 25 * 50 and car[35:60, 50:100].all()
    assert all(i['ignore_flag'] == 0 for i in insts)


def test_class_subset_and_filtering(tiny_cityscapes):
    ds = build(tiny_cityscapes, split='train', metainfo=dict(classes=(
        'car', )), filter_cfg=dict(filter_empty_gt=True))
    assert len(ds) == 1  # the second image has no car
    assert [i['bbox_label'] for i in ds.get_data_info(0)['instances']] == \
        [0, 0]
    with pytest.raises(ValueError, match='unknown Cityscapes classes'):
        build(tiny_cityscapes, metainfo=dict(classes=('road', )))
    with pytest.raises(FileNotFoundError):
        build(tiny_cityscapes, split='test')


def test_training_pipeline(tiny_cityscapes):
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
        dict(type='InstanceCenteredCrop', crop_size=(32, 32)),
        dict(type='PackDetInputs')
    ]
    ds = build(tiny_cityscapes, split='train', pipeline=pipeline,
               metainfo=dict(classes=('car', )))
    out = ds[0]
    assert out['inputs'].shape == (3, 32, 32)
    gt = out['data_samples'].gt_instances
    assert len(gt) >= 1 and gt.masks.masks.shape[1:] == (32, 32)


def perfect_predictions(stem, ids, label_ids, img_dir):
    masks, labels = [], []
    for label, lid in enumerate(label_ids):
        for v in np.unique(ids[(ids >= lid * 1000) & (ids < lid * 1000 +
                                                     1000)]):
            masks.append(ids == v)
            labels.append(label)
    pred = InstanceData(
        masks=torch.from_numpy(np.stack(masks)) if masks else
        torch.zeros((0, H, W), dtype=torch.bool),
        labels=torch.tensor(labels, dtype=torch.long),
        scores=torch.linspace(0.9, 0.5, len(labels)))
    return dict(pred_instances=pred,
                img_path=osp.join(img_dir, f'{stem}_leftImg8bit.png'))


@pytest.mark.parametrize('metric_type,classes,expected', [
    ('CityScapesMetric', None, 0.5),  # mmdet's: car 1, person 0
    ('CityscapesInstanceMetric', None, 0.5),
    ('CityscapesInstanceMetric', ('car', ), 1.0),
])
def test_official_metric_runs(tiny_cityscapes, tmp_path, metric_type,
                              classes, expected):
    register_all_modules()
    from mmseginst.registry import METRICS
    from mmseginst.datasets.cityscapes_instance_ids import THING_LABEL_IDS
    all_classes = tuple(THING_LABEL_IDS)
    metric = METRICS.build(dict(
        type=metric_type, outfile_prefix=str(tmp_path / 'out'),
        seg_prefix=tiny_cityscapes + 'gtFine/val'))
    metric.dataset_meta = dict(classes=classes or all_classes)
    img_dir = tiny_cityscapes + 'leftImg8bit/val/aachen'
    samples = [
        perfect_predictions(stem, ids, [26], img_dir)
        for stem, ids in instance_maps().items()
    ]
    # predictions use label 0 = car: map it to the metric's class index
    car = metric.dataset_meta['classes'].index('car')
    for s in samples:
        s['pred_instances'].labels[:] = car
    metric.process({}, samples)
    res = metric.compute_metrics(metric.results)
    assert res['mAP'] == pytest.approx(expected)
    if metric_type == 'CityscapesInstanceMetric':
        assert res['car_AP'] == pytest.approx(1.0)
