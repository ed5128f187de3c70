"""CenterMask detector built from its shapes config: loss with and without
GT, prediction with and without detections, raw forward, bad configs."""
import copy

import pytest
import torch
from mmdet.testing import demo_mm_inputs
from mmengine.config import Config

from conftest import REPO
from mmseginst.registry import MODELS
from mmseginst.utils import register_all_modules

CONFIG = f'{REPO}/configs/centermask/centermask_r18-w32_fpn_shapes.py'


@pytest.fixture(scope='module')
def model_cfg():
    register_all_modules()
    return Config.fromfile(CONFIG).model


def run_loss(model, num_items):
    packed = demo_mm_inputs(2, [(3, 64, 64), (3, 48, 64)],
                            num_items=num_items, num_classes=4,
                            with_mask=True)
    model.train()
    losses = model(**model.data_preprocessor(packed, True), mode='loss')
    total, _ = model.parse_losses(losses)
    total.backward()
    return losses, total


@pytest.mark.parametrize('num_items', [[3, 0], [0, 0]])
def test_loss(model_cfg, num_items):
    torch.manual_seed(0)
    model = MODELS.build(model_cfg)
    model.init_weights()
    losses, total = run_loss(model, num_items)
    assert set(losses) == {'loss_cls', 'loss_bbox', 'loss_centerness',
                           'loss_mask', 'loss_mask_iou'}
    assert torch.isfinite(total)
    if not any(num_items):
        assert losses['loss_bbox'].item() == 0
        assert losses['loss_mask'].item() == 0


@pytest.mark.parametrize('score_thr', [0.0, 1.1])
def test_predict(model_cfg, score_thr):
    """score_thr 1.1: no image has a detection."""
    cfg = copy.deepcopy(model_cfg)
    cfg.test_cfg.score_thr = score_thr
    torch.manual_seed(0)
    model = MODELS.build(cfg).eval()
    packed = demo_mm_inputs(2, [(3, 64, 64), (3, 48, 64)], num_items=[1, 1],
                            num_classes=4, with_mask=True)
    with torch.no_grad():
        results = model(**model.data_preprocessor(packed, False),
                        mode='predict')
    for res, shape in zip(results, [(64, 64), (48, 64)]):
        pred = res.pred_instances
        assert set(pred.keys()) >= {'scores', 'labels', 'bboxes', 'masks',
                                    'mask_scores'}
        assert pred.masks.shape[1:] == shape
        assert len(pred) == (0 if score_thr > 1 else 50)  # top 50
    with torch.no_grad():
        data = model.data_preprocessor(packed, False)
        outs = model._forward(data['inputs'], data['data_samples'])
    assert len(outs) == 5  # cls, bbox, centerness, mask logits, MaskIoU


def test_bad_config(model_cfg):
    cfg = copy.deepcopy(model_cfg)
    del cfg.train_cfg['proposal']
    with pytest.raises(KeyError, match='proposal'):
        MODELS.build(cfg)
    cfg = copy.deepcopy(model_cfg)
    del cfg.test_cfg['mask_thr_binary']
    with pytest.raises(KeyError, match='mask_thr_binary'):
        MODELS.build(cfg)
