"""The official-EmbedMask converter on synthetic state dicts that follow the
official (fcos_core) key names and shapes: strict load, values carried over.

The official ResNet, FPN and head widths are config values
(STEM_OUT_CHANNELS, RES2_OUT_CHANNELS, BACKBONE_OUT_CHANNELS), so a narrow
R-50 keeps the test small without changing any key or shape rule."""
import importlib.util
import os.path as osp

import pytest
import torch
from conftest import REPO

STEM, RES2, FPN, CLASSES, DIMS = 8, 32, 32, 3, 8


def _tool():
    path = osp.join(REPO, 'tools', 'model_converters',
                    'embedmask_to_mmseginst.py')
    spec = importlib.util.spec_from_file_location('embedmask_converter', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def official_state(layout, blocks=(3, 4, 6, 3)):
    """fcos_core R-50-FPN-RETINANET + EmbedMaskHead (as ``rpn.head``)."""
    g = torch.Generator().manual_seed(0)
    state = {}

    def add(name, *shape):
        state[name] = torch.randn(*shape, generator=g)

    def bn(name, ch):
        for p in ('weight', 'bias', 'running_mean', 'running_var'):
            add(f'{name}.{p}', ch)

    def conv(name, cout, cin, k, bias=True):
        add(f'{name}.weight', cout, cin, k, k)
        if bias:
            add(f'{name}.bias', cout)

    conv('backbone.body.stem.conv1', STEM, 3, 7, bias=False)
    bn('backbone.body.stem.bn1', STEM)
    cin = STEM
    for stage, num in enumerate(blocks, 1):
        width, cout = STEM * 2**(stage - 1), RES2 * 2**(stage - 1)
        for b in range(num):
            pre = f'backbone.body.layer{stage}.{b}'
            if b == 0:
                conv(f'{pre}.downsample.0', cout, cin, 1, bias=False)
                bn(f'{pre}.downsample.1', cout)
            conv(f'{pre}.conv1', width, cin, 1, bias=False)
            bn(f'{pre}.bn1', width)
            conv(f'{pre}.conv2', width, width, 3, bias=False)
            bn(f'{pre}.bn2', width)
            conv(f'{pre}.conv3', cout, width, 1, bias=False)
            bn(f'{pre}.bn3', cout)
            cin = cout
        if stage > 1:  # in_channels_list = [0, C3, C4, C5]
            conv(f'backbone.fpn.fpn_inner{stage}', FPN, cout, 1)
            conv(f'backbone.fpn.fpn_layer{stage}', FPN, FPN, 3)
    conv('backbone.fpn.top_blocks.p6', FPN, FPN, 3)  # USE_C5 False
    conv('backbone.fpn.top_blocks.p7', FPN, FPN, 3)
    head = 'rpn.head'
    for tower in ('cls', 'bbox', 'mask'):
        for i in range(4):  # Conv2d, GroupNorm, ReLU
            conv(f'{head}.{tower}_tower.{3 * i}', FPN, FPN, 3)
            add(f'{head}.{tower}_tower.{3 * i + 1}.weight', FPN)
            add(f'{head}.{tower}_tower.{3 * i + 1}.bias', FPN)
    conv(f'{head}.cls_logits', CLASSES, FPN, 3)
    conv(f'{head}.bbox_pred', 4, FPN, 3)
    conv(f'{head}.centerness', 1, FPN, 3)
    for level in range(5):
        add(f'{head}.scales.{level}.scale', 1)
    if layout == 'v1':
        conv(f'{head}.proposal_embed_pred', DIMS, FPN, 3)
        conv(f'{head}.proposal_margin_pred', 1, 4, 1)
        conv(f'{head}.pixel_embed_pred', DIMS, FPN, 3)
    else:
        for kind in ('proposal', 'pixel'):
            conv(f'{head}.{kind}_spatial_embed_pred', 2, FPN, 3)
            conv(f'{head}.{kind}_other_embed_pred', DIMS - 2, FPN, 3)
        # 2020 snapshot: one margin; 2021: one per dimension
        conv(f'{head}.proposal_margin_pred',
             DIMS if layout == '2021' else 1, FPN, 3)
        add(f'{head}.position_scale.scale', 1)
    return state


def config_text(layout):
    margin = dict(v1=1, **{'2020': 1, '2021': DIMS})[layout]
    base = osp.join(REPO, 'configs', 'embedmask',
                    'embedmask_r50_fpn_1x_coco.py')
    return f"""_base_ = '{base}'
model = dict(
    backbone=dict(base_channels={STEM}, init_cfg=None),
    neck=dict(in_channels=[32, 64, 128, 256], out_channels={FPN}),
    bbox_head=dict(num_classes={CLASSES}, in_channels={FPN},
                   feat_channels={FPN}, embed_dims={DIMS},
                   margin_channels={margin},
                   margin_source='{'box' if layout == 'v1' else 'feature'}'),
    mask_head=dict(in_channels={FPN}, feat_channels={FPN},
                   embed_dims={DIMS},
                   num_spatial_dims={0 if layout == 'v1' else 2}))
"""


@pytest.mark.parametrize('layout', ['v1', '2020', '2021'])
def test_convert_strict(tmp_path, layout):
    tool = _tool()
    official = official_state(layout)
    src, dst = tmp_path / 'official.pth', tmp_path / 'ours.pth'
    # saved from DDP: 'module.' prefix, with the trainer's extra entries
    torch.save({'model': {'module.' + k: v for k, v in official.items()},
                'iteration': 90000}, src)
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(config_text(layout))
    found = tool.convert(str(src), str(dst), str(cfg))
    assert found == dict(
        embed_dims=DIMS,
        margin_channels=DIMS if layout == '2021' else 1,
        margin_source='box' if layout == 'v1' else 'feature',
        num_spatial_dims=0 if layout == 'v1' else 2)
    ours = torch.load(dst)['state_dict']
    pairs = {
        'backbone.body.stem.bn1.running_var': 'backbone.bn1.running_var',
        'backbone.body.layer3.5.conv2.weight': 'backbone.layer3.5.conv2.weight',
        'backbone.body.layer1.0.downsample.1.bias':
        'backbone.layer1.0.downsample.1.bias',
        'backbone.fpn.fpn_inner2.weight': 'neck.lateral_convs.0.conv.weight',
        'backbone.fpn.fpn_layer4.bias': 'neck.fpn_convs.2.conv.bias',
        'backbone.fpn.top_blocks.p7.weight': 'neck.fpn_convs.4.conv.weight',
        'rpn.head.bbox_tower.9.weight': 'bbox_head.reg_convs.3.conv.weight',
        'rpn.head.cls_tower.4.bias': 'bbox_head.cls_convs.1.gn.bias',
        'rpn.head.mask_tower.7.weight': 'mask_head.mask_convs.2.gn.weight',
        'rpn.head.centerness.weight': 'bbox_head.conv_centerness.weight',
        'rpn.head.proposal_margin_pred.bias': 'bbox_head.conv_margin.bias',
    }
    for theirs, mine in pairs.items():
        assert torch.equal(official[theirs], ours[mine]), (theirs, mine)
    assert ours['bbox_head.scales.3.scale'].shape == ()
    assert ours['bbox_head.scales.3.scale'] == \
        official['rpn.head.scales.3.scale'][0]
    assert ours['backbone.layer2.0.bn1.num_batches_tracked'] == 0
    if layout != 'v1':
        embed = ours['mask_head.conv_embed.weight']
        assert torch.equal(embed[:2],
                           official['rpn.head.pixel_spatial_embed_pred.weight'])
        assert torch.equal(embed[2:],
                           official['rpn.head.pixel_other_embed_pred.weight'])


def test_wrong_config_and_unknown_key(tmp_path):
    tool = _tool()
    src, dst = tmp_path / 'official.pth', tmp_path / 'ours.pth'
    torch.save({'model': official_state('2021')}, src)
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(config_text('2020'))  # a scalar margin: does not fit
    with pytest.raises(RuntimeError, match="'margin_channels': 8"):
        tool.convert(str(src), str(dst), str(cfg))
    with pytest.raises(KeyError, match='unknown official EmbedMask key'):
        tool.convert_key('rpn.head.something_new.weight')
