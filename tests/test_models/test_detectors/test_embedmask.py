"""EmbedMask detector from the shapes config: loss, predict, _forward."""
import math
import os.path as osp

import torch
from conftest import REPO
from mmdet.testing import demo_mm_inputs
from mmengine.config import Config

from mmseginst.registry import MODELS
from mmseginst.utils import register_all_modules


def build(name):
    register_all_modules()
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'embedmask', name))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def test_embedmask_shapes_detector():
    model = build('embedmask_r18-w32_fpn_shapes.py')
    packed = demo_mm_inputs(2, [(3, 96, 128), (3, 64, 64)], num_items=[3, 0],
                            num_classes=4, with_mask=True)
    model.train()
    losses = model(**model.data_preprocessor(packed, True), mode='loss')
    assert set(losses) == {'loss_cls', 'loss_bbox', 'loss_centerness',
                           'loss_mask'}
    total, _ = model.parse_losses(losses)
    assert math.isfinite(total.item())
    total.backward()
    assert model.mask_head.conv_embed.weight.grad is not None
    assert model.bbox_head.conv_margin.weight.grad is not None

    model.eval()
    data = model.data_preprocessor(packed, False)
    with torch.no_grad():
        results = model(**data, mode='predict')
        outs = model._forward(data['inputs'])
    for res, sample in zip(results, packed['data_samples']):
        pred = res.pred_instances
        assert pred.masks.shape[1:] == sample.ori_shape
        assert pred.masks.dtype == torch.bool
        assert len(pred.masks) == len(pred.bboxes) == len(pred.scores)
    # 5 box-head lists of 5 levels, then the pixel embeddings: the shapes
    # config reads P2 and upsamples x2, so they are at stride 2
    assert len(outs) == 6 and outs[-1].shape[-2:] == (48, 64)
