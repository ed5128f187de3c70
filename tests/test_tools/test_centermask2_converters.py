"""The two CenterMask converters on synthetic state dicts with the official
key names and shapes: strict load, values carried over unchanged."""
import importlib.util
import os.path as osp

import pytest
import torch
from centermask2_official_keys import (official_centermask_lite,
                                       official_vovnet)
from conftest import REPO

from mmseginst.models.backbones.vovnet import VoVNet
from mmseginst.models.backbones.vovnet_ckpt_convert import \
    convert_vovnet_state_dict
from mmseginst.utils import register_all_modules


def _tool(name):
    path = osp.join(REPO, 'tools', 'model_converters', name + '.py')
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('arch,dcn_stages', [('19-slim-dw', ()),
                                             ('19-slim', (3, 4, 5))])
def test_backbone_converter_strict(tmp_path, arch, dcn_stages):
    official = official_vovnet(arch, dcn_stages)
    src, dst = tmp_path / 'official.pth', tmp_path / 'ours.pth'
    torch.save({'model': official, '__author__': 'test'}, src)
    tool = _tool('vovnet_detectron2_to_mmseginst')
    assert tool.convert(str(src), str(dst)) == arch
    state = torch.load(dst)['state_dict']
    dcn = dict(type='DCNv2', deform_groups=1) if dcn_stages else None
    model = VoVNet(arch, dcn=dcn,
                   stage_with_dcn=tuple(s in dcn_stages for s in (2, 3, 4, 5)))
    model.load_state_dict(state, strict=True)
    # a few values, followed by hand through the official structure
    ours = model.state_dict()
    pairs = {
        'stem.stem_1/conv.weight': 'stem.0.conv.weight',
        'stem.stem_2/' + ('pw_norm' if 'dw' in arch else 'norm') +
        '.running_var': 'stem.1.' + ('pointwise_conv.bn' if 'dw' in arch
                                      else 'bn') + '.running_var',
        'stage3.OSA3_1.concat.OSA3_1_concat/conv.weight':
        'stages.1.blocks.0.concat_conv.conv.weight',
        'stage5.OSA5_1.ese.fc.bias': 'stages.3.blocks.0.ese.fc.bias',
    }
    if 'dw' in arch:
        pairs['stage2.OSA2_1.layers.2.OSA2_1_2/dw_conv3x3.weight'] = \
            'stages.0.blocks.0.layers.2.depthwise_conv.conv.weight'
        pairs['stage3.OSA3_1.conv_reduction.OSA3_1_reduction_0/conv.weight'] \
            = 'stages.1.blocks.0.reduction.conv.weight'
    if dcn_stages:
        pairs['stage4.OSA4_1.layers.1.OSA4_1_1/conv_offset.bias'] = \
            'stages.2.blocks.0.layers.1.conv.conv_offset.bias'
    for theirs, mine in pairs.items():
        assert torch.equal(official[theirs], ours[mine]), (theirs, mine)


def test_backbone_converter_rejects_wrong_arch(tmp_path):
    src = tmp_path / 'official.pth'
    torch.save(official_vovnet('19-slim-dw'), src)
    tool = _tool('vovnet_detectron2_to_mmseginst')
    with pytest.raises(ValueError, match="arch='39'"):
        tool.convert(str(src), str(tmp_path / 'x.pth'), arch='39')


def test_vovnet_init_cfg_loads_official_checkpoint(tmp_path):
    official = official_vovnet('19-slim')
    src = tmp_path / 'vovnet19_ese_slim_detectron2.pth'
    torch.save({'model': official}, src)
    model = VoVNet('19-slim',
                   init_cfg=dict(type='Pretrained', checkpoint=str(src)))
    model.init_weights()
    assert torch.equal(model.stages[3].blocks[0].ese.fc.weight,
                       official['stage5.OSA5_1.ese.fc.weight'])
    # our own checkpoints (prefixed by backbone.) load too
    ours = {'backbone.' + k: v for k, v in model.state_dict().items()}
    assert set(convert_vovnet_state_dict({'state_dict': ours})) == \
        set(model.state_dict())


def test_whole_model_converter_strict(tmp_path):
    register_all_modules()
    official = official_centermask_lite('19-slim-dw')
    src, dst = tmp_path / 'centermask2.pth', tmp_path / 'ours.pth'
    torch.save({'model': official, 'iteration': 359999}, src)
    config = osp.join(REPO, 'configs', 'centermask',
                      'centermask-lite_v2-19-slim-dw_fpn_ms-4x_coco.py')
    tool = _tool('centermask2_to_mmseginst')
    model = tool.convert(str(src), str(dst), config)  # strict load inside
    ours = torch.load(dst)['state_dict']
    assert set(ours) == set(model.state_dict())
    pairs = {
        'backbone.fpn_lateral4.weight': 'neck.lateral_convs.1.conv.weight',
        'backbone.top_block.p7.bias': 'neck.fpn_convs.4.conv.bias',
        'proposal_generator.fcos_head.bbox_tower.4.weight':
        'bbox_head.reg_convs.1.gn.weight',
        'proposal_generator.fcos_head.ctrness.weight':
        'bbox_head.conv_centerness.weight',
        'roi_heads.mask_head.spatialAtt.conv.weight':
        'roi_head.mask_head.sam.conv.weight',
        'roi_heads.mask_head.deconv.weight': 'roi_head.mask_head.upsample.'
        'weight',
        'roi_heads.maskiou_head.maskiou_fc2.weight':
        'roi_head.mask_iou_head.fcs.1.weight',
        'roi_heads.maskiou_head.maskiou.bias':
        'roi_head.mask_iou_head.fc_mask_iou.bias',
    }
    for theirs, mine in pairs.items():
        assert torch.equal(official[theirs], ours[mine]), (theirs, mine)
    scale = official['proposal_generator.fcos_head.scales.2.scale']
    assert ours['bbox_head.scales.2.scale'].item() == scale.item()


def test_resnet_and_unknown_keys():
    tool = _tool('centermask2_to_mmseginst')
    expected = {
        'backbone.bottom_up.stem.conv1.weight': 'backbone.conv1.weight',
        'backbone.bottom_up.stem.conv1.norm.bias': 'backbone.bn1.bias',
        'backbone.bottom_up.res2.0.conv3.norm.running_mean':
        'backbone.layer1.0.bn3.running_mean',
        'backbone.bottom_up.res5.2.conv2.weight':
        'backbone.layer4.2.conv2.weight',
        'backbone.bottom_up.res3.0.shortcut.weight':
        'backbone.layer2.0.downsample.0.weight',
        'backbone.bottom_up.res3.0.shortcut.norm.weight':
        'backbone.layer2.0.downsample.1.weight',
        'pixel_mean': None,
    }
    for key, new in expected.items():
        assert tool.convert_key(key) == new
    with pytest.raises(KeyError, match='roi_heads.box_head'):
        tool.convert_key('roi_heads.box_head.fc1.weight')
