"""CenterMaskPoint detector built from the shapes config."""
import os.path as osp

import torch
from mmdet.testing import demo_mm_inputs
from mmengine.config import Config

from mmseginst.registry import MODELS
from mmseginst.utils import register_all_modules

CONFIG = osp.join(
    osp.dirname(__file__), '..', '..', '..', 'configs', 'centermask_point',
    'centermask-point_r18-w32_dla-up_shapes.py')


def build():
    register_all_modules()
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(CONFIG).model)
    model.init_weights()
    return model


def test_tensor_mode_returns_raw_head_outputs():
    model = build().eval()
    packed = demo_mm_inputs(1, [(3, 64, 96)], num_items=[2], num_classes=4,
                            with_mask=True)
    data = model.data_preprocessor(packed, False)
    (heat, wh, offset, shape), saliency = model(**data, mode='tensor')
    assert heat[0].shape == (1, 4, 16, 24) and wh[0].shape == (1, 2, 16, 24)
    assert offset[0].shape == (1, 2, 16, 24)
    # Local Shape features (feat_channels 64); the S*S vectors are made only
    # at peaks, and equal the dense 1x1 conv of these features there
    assert shape[0].shape == (1, 64, 16, 24)
    dense = model.bbox_head.shape_head[-1](shape[0])
    assert dense.shape == (1, 32 * 32, 16, 24)
    assert saliency[0].shape == (1, 4, 16, 24)


def test_loss_and_predict():
    model = build()
    packed = demo_mm_inputs(2, [(3, 64, 96), (3, 64, 64)], num_items=[2, 0],
                            num_classes=4, with_mask=True)
    model.train()
    losses = model(**model.data_preprocessor(packed, True), mode='loss')
    assert set(losses) == {'loss_center_heatmap', 'loss_wh', 'loss_offset',
                           'loss_mask'}
    total, _ = model.parse_losses(losses)
    assert torch.isfinite(total)
    total.backward()
    model.eval()
    with torch.no_grad():
        results = model(**model.data_preprocessor(packed, False),
                        mode='predict')
    for res, sample in zip(results, packed['data_samples']):
        pred = res.pred_instances
        assert len(pred) == 100  # top-100 peaks, no NMS
        assert pred.masks.shape[-2:] == sample.ori_shape
        assert pred.masks.dtype == torch.bool
