"""SpatialEmbeddings through mmdet's data pipeline: targets from the
pipeline's gt_instances, predictions at the original image size."""
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from conftest import REPO
from mmseginst.registry import DATASETS, MODELS
from mmseginst.utils import register_all_modules

CONFIG = osp.join(REPO, 'configs', 'spatial_embeddings',
                  'spatial-embeddings_r18-w32_fpn_shapes.py')


def test_pipeline_loss_and_rescaled_predictions(tiny_shapes):
    register_all_modules()
    cfg = Config.fromfile(CONFIG)
    # loose thresholds so that an untrained model yields instances
    cfg.model.test_cfg.update(candidate_thr=0.0, seed_thr=0.0, min_pixels=4,
                              max_per_img=5)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    train = cfg.train_dataloader.dataset
    train.update(data_root=tiny_shapes, filter_cfg=dict(filter_empty_gt=True))
    test = cfg.test_dataloader.dataset
    test.update(data_root=tiny_shapes)
    test.pipeline[1] = dict(type='Resize', scale_factor=0.75,
                            keep_ratio=True)  # 64x64 -> 48x48
    batch = pseudo_collate([DATASETS.build(train)[i] for i in range(2)])
    model.train()
    losses = model(**model.data_preprocessor(batch, True), mode='loss')
    assert losses['loss_instance'] > 0
    sum(losses.values()).backward()

    model.eval()
    dataset = DATASETS.build(test)
    batch = pseudo_collate([dataset[i] for i in range(2)])
    with torch.no_grad():
        results = model.test_step(batch)
    for res in results:
        pred = res.pred_instances
        assert res.img_shape == (48, 48) and res.ori_shape == (64, 64)
        assert 0 < len(pred) <= 5
        assert pred.masks.shape[1:] == (64, 64)
        assert pred.bboxes.shape == (len(pred), 4)
        assert (pred.bboxes[:, 2:] <= 64).all()
        assert (pred.scores[1:] <= pred.scores[:-1]).all()
