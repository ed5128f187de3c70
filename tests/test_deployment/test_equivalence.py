"""Every method exported to ONNX gives, in ONNX Runtime, the detections of
the PyTorch model on the same images (``compare_instances``): each paired
with one of the same label, score within 1e-4 and box within 1e-3
relative, its mask at IoU >= 0.99 (or at most 2 pixels off), and any
detection without a counterpart a near-tie effect of float noise (at most
10% of them).

Models are the shapes configs (tiny widths) and the other architectures of
the folders' main configs (VoVNetV2, DLA-34 with DCNv2, the FCOS variant,
faster-better, ERFNet), with seeded initial weights and classification
biases set so that every image has detections; inputs are the 64x64 tiny
shapes images resized x2 (128x128).
"""
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate

from conftest import REPO
from mmseginst.deployment import (ONNXRuntimeDetector, compare_instances,
                                  export_onnx)
from mmseginst.registry import MODELS
from mmseginst.utils import register_all_modules
from mmseginst.utils.misc import drop_pretrained

SHAPES_CONFIGS = [
    'mask_rcnn/mask-rcnn_r18-w32_fpn_shapes.py',
    'centermask/centermask_r18-w32_fpn_shapes.py',
    'embedmask/embedmask_r18-w32_fpn_shapes.py',
    'refinemask/refinemask_r18-w32_fpn_shapes.py',
    'centermask_point/centermask-point_r18-w32_dla-up_shapes.py',
    'spatial_embeddings/spatial-embeddings_r18-w32_fpn_shapes.py',
]
# the other architectures of the folders' main configs, with a ResNet-18
# w32 backbone where theirs is large (the heads, necks and decoders are the
# main configs' own)
R18 = dict(
    type='ResNet', depth=18, base_channels=32, num_stages=4,
    out_indices=(0, 1, 2, 3), frozen_stages=-1, norm_eval=False,
    style='pytorch', init_cfg=None, _delete_=True)
TINY_VARIANTS = {
    'centermask_vovnetv2':
    ('centermask/centermask-lite_v2-19-slim-dw_fpn_ms-4x_coco.py', {}),
    'centermask_point_dla34_dcnv2':
    ('centermask_point/centermask-point_dla34-dcnv2_8xb16-crop512-140e_'
     'coco.py', {}),
    'centermask_point_fcos':
    ('centermask_point/centermask-point_fcos_x101-64x4d_fpn_gn-head_'
     'ms-640-800-2x_coco.py',
     dict(backbone=R18, neck=dict(in_channels=[32, 64, 128, 256],
                                  out_channels=64),
          bbox_head=dict(in_channels=64, feat_channels=64,
                         shape_feat_channels=64),
          mask_head=dict(in_channels=64, feat_channels=64))),
    'refinemask_faster_better':
    ('refinemask/refinemask-faster-better_r50_fpn_1x_coco.py',
     dict(backbone=R18,
          neck=dict(in_channels=[32, 64, 128, 256], out_channels=64),
          rpn_head=dict(in_channels=64, feat_channels=64),
          roi_head=dict(
              bbox_roi_extractor=dict(out_channels=64),
              bbox_head=dict(in_channels=64, fc_out_channels=256),
              mask_roi_extractor=dict(out_channels=64),
              semantic_head=dict(in_channels=64, conv_out_channels=64),
              mask_head=dict(in_channels=64, conv_out_channels=64,
                             semantic_channels=64)))),
    'spatial_embeddings_erfnet':
    ('spatial_embeddings/spatial-embeddings_erfnet_shapes.py', {}),
}
INPUT = 128


def make_detections(model):
    """Biases that give every image detections with initial weights:
    objectness/class probabilities near 0.5, softmax classes spread, FCOS
    and CenterNet boxes of a few strides, seeds above the seed threshold,
    heatmap and mask logits with Kaiming-scale weights (no plateaus of
    equal scores) and a Global Saliency near 0.9 (the
    assembled masks then straddle ``mask_thr``)."""
    for name, module in model.named_modules():
        leaf = name.split('.')[-1]
        if leaf in ('conv_cls', 'rpn_cls') and module.bias is not None:
            torch.nn.init.constant_(module.bias, 0.0)
        elif leaf == 'conv_reg':  # FCOS: boxes of a few strides (or exp(2.5)
            # = 12 pixels per side without norm_on_bbox), not ~0
            torch.nn.init.constant_(module.bias, 2.5)
        elif leaf == 'fc_cls':
            bias = torch.linspace(3.0, -3.0, module.bias.numel())
            bias[-1] = -8.0  # background
            module.bias.data.copy_(bias)
    # mask predictors whose initial weights give probabilities of 0.5
    # everywhere (SAG-Mask's std 0.001, zero Local Shapes) get spread ones,
    # so that masks have a shape and few pixels lie at the threshold
    spread = [m for n, m in model.named_modules()
              if n.split('.')[-1] == 'conv_logits']
    for head in (getattr(model, 'bbox_head', None),
                 getattr(model, 'mask_head', None)):
        # CenterNet heads: heatmap weights of std 0.001 give one value
        # everywhere, where every 3x3 peak is a tie decided by float noise
        for name in ('shape_head', 'saliency_head', 'heatmap_head'):
            if getattr(head, name, None) is not None:
                spread.append(getattr(head, name)[-1])
    for conv in spread:
        torch.nn.init.kaiming_normal_(conv.weight)
    saliency = getattr(getattr(model, 'mask_head', None), 'saliency_head',
                       None)
    wh_head = getattr(getattr(model, 'bbox_head', None), 'wh_head', None)
    if wh_head is not None:  # CenterNet boxes of a few cells, not ~0
        torch.nn.init.constant_(wh_head[-1].bias, 12.0)
    if saliency is not None:  # CenterMask-Point: masks around mask_thr
        torch.nn.init.constant_(saliency[-1].bias, 2.0)
    if type(model).__name__ == 'SpatialEmbeddings':
        seeds = model.mask_head.decoders[1].output_conv
        torch.nn.init.constant_(seeds.bias, 3.0)  # seed probability 0.95


def build(config, overrides=None):
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(osp.join(REPO, 'configs', config))
    cfg.merge_from_dict(dict(model=overrides or {}))
    drop_pretrained(cfg.model)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    make_detections(model)
    return cfg, model.eval()


def val_batches(root, num=3, size=INPUT):
    """Batches of one tiny shapes val image, resized to INPUT."""
    pipeline = Compose([
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=(size, size), keep_ratio=True),
        dict(type='PackDetInputs',
             meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                        'scale_factor'))
    ])
    names = sorted(os.listdir(osp.join(root, "val")))
    return [pseudo_collate([pipeline(dict(img_path=osp.join(root, 'val', n),
                                          img_id=i))])
            for i, n in enumerate(names[:num])]


def check_equivalent(config, root, tmp_path, overrides=None, dynamic=False,
                     size=INPUT, num=3):
    cfg, model = build(config, overrides)
    onnx_file = str(tmp_path / 'model.onnx')
    export_onnx(model, onnx_file, (INPUT, INPUT), dynamic=dynamic)
    assert not model.training  # the export leaves the model's mode alone
    detector = ONNXRuntimeDetector(cfg, onnx_file)
    nontrivial = 0
    for data in val_batches(root, num=num, size=size):
        with torch.no_grad():
            ref = model.test_step(data)[0].pred_instances
        got = detector.predict(data)[0].pred_instances
        res = compare_instances(ref, got)
        assert res['matched'] > 0 and res['equivalent'], (config, res)
        assert res.get('max_mask_score_diff', 0) <= 1e-4, (config, res)
        area = got.masks.flatten(1).sum(1)
        nontrivial += int(((area > 0) & (area < got.masks[0].numel())).sum())
    assert nontrivial > 0, f'{config}: every mask is empty or full'


@pytest.mark.parametrize('config', SHAPES_CONFIGS)
def test_shapes_config_equivalent(config, tiny_shapes, tmp_path):
    check_equivalent(config, tiny_shapes, tmp_path)


@pytest.mark.parametrize('name', sorted(TINY_VARIANTS))
def test_main_architecture_equivalent(name, tiny_shapes, tmp_path):
    config, overrides = TINY_VARIANTS[name]
    check_equivalent(config, tiny_shapes, tmp_path, overrides)


@pytest.mark.parametrize('config', [SHAPES_CONFIGS[0], SHAPES_CONFIGS[2]])
def test_dynamic_export_other_input_size(config, tiny_shapes, tmp_path):
    # traced at 128x128, run at 96x96: one image (the decoding on three is
    # covered by the static tests)
    check_equivalent(config, tiny_shapes, tmp_path, dynamic=True, size=96,
                     num=1)
