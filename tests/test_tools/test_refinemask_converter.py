"""The official RefineMask (mmdet 2.3) checkpoint converter on synthetic
state dicts with the official key names and shapes, written here from the
official module structure (RefineMaskHead / SimpleRefineMaskHead with their
SFMStage / SimpleSFMStage and MultiBranchFusion children)."""
import importlib.util
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmseginst.registry import MODELS
from mmseginst.utils import register_all_modules
from mmseginst.utils.misc import drop_pretrained

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_tool():
    path = osp.join(REPO, 'tools', 'model_converters',
                    'refinemask_to_mmseginst.py')
    spec = importlib.util.spec_from_file_location('refinemask_conv', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def official_mask_head_shapes(classes, simple=False):
    """name -> shape of the official mask head of an R-50-FPN model."""
    shapes = {}

    def conv(name, out_c, in_c, k):
        shapes[f'{name}.weight'] = (out_c, in_c, k, k)
        shapes[f'{name}.bias'] = (out_c, )

    for i in range(2):
        conv(f'instance_convs.{i}.conv', 256, 256, 3)
    for i in range(4):
        conv(f'semantic_convs.{i}.conv', 256, 256, 3)
    masks = 1 if simple else 2  # re-attached mask channels
    c = 256
    for k in range(3):
        conv(f'stages.{k}.semantic_transform_in', c, 256, 1)
        if not simple:
            conv(f'stages.{k}.semantic_transform_out', c, c, 1)
            conv(f'stages.{k}.instance_logits', classes[k], c, 1)
        conv(f'stages.{k}.fuse_conv.0', c, 2 * c + masks, 1)
        for j in (1, 2, 3):
            conv(f'stages.{k}.fuse_conv.1.dilation_conv_{j}.conv', c, c, 3)
        conv(f'stages.{k}.fuse_conv.1.merge_conv.conv', c, c, 1)
        conv(f'stages.{k}.fuse_transform_out', c // 2 - masks, c, 1)
        c //= 2
    if simple:
        for k, ch in enumerate((256, 128, 64, 32)):
            conv(f'stage_instance_logits.{k}', classes[k], ch, 1)
    else:
        conv('final_instance_logits', classes[3], 32, 1)
        conv('semantic_logits', 1, 256, 1)
    return shapes


def official_state_dict(model, classes, simple=False):
    """Our model's keys outside the mask branch (same names in mmdet 2.3)
    plus the official mask-head keys, all random."""
    g = torch.Generator().manual_seed(0)
    state = {
        k: torch.randn(v.shape, generator=g) if v.is_floating_point() else v
        for k, v in model.state_dict().items()
        if not k.startswith(('roi_head.mask_head.',
                             'roi_head.semantic_head.'))
    }
    for name, shape in official_mask_head_shapes(classes, simple).items():
        state['roi_head.mask_head.' + name] = torch.randn(shape, generator=g)
    return state


def build(config):
    register_all_modules()
    cfg = Config.fromfile(osp.join(REPO, config))
    drop_pretrained(cfg.model)
    return MODELS.build(cfg.model)


def test_refinemask_r50_coco_strict(tmp_path):
    tool = load_tool()
    config = 'configs/refinemask/refinemask_r50_fpn_1x_coco.py'
    model = build(config)
    official = official_state_dict(model, [80] * 4)
    ours = tool.convert_state_dict(official)
    model.load_state_dict(ours, strict=True)
    key = 'roi_head.mask_head.stages.1.fuse_conv.1.dilation_conv_3.conv.weight'
    assert torch.equal(
        model.roi_head.mask_head.stages[1].fusion.branches[2].conv.weight,
        official[key])
    assert torch.equal(model.roi_head.semantic_head.conv_logits.bias,
                       official['roi_head.mask_head.semantic_logits.bias'])
    # the file route: DDP prefix, meta and optimizer as mmcv 1.x saves them
    src, dst = tmp_path / 'official.pth', tmp_path / 'ours.pth'
    torch.save({'state_dict': {'module.' + k: v for k, v in official.items()},
                'meta': {'CLASSES': ('person', 'bicycle'), 'epoch': 12},
                'optimizer': {'state': {}}}, src)
    tool.convert(str(src), str(dst), osp.join(REPO, config))
    saved = torch.load(dst, weights_only=True)
    assert saved['meta']['dataset_meta']['classes'] == ('person', 'bicycle')
    assert set(saved['state_dict']) == set(model.state_dict())


def test_faster_better_strict():
    tool = load_tool()
    model = build('configs/refinemask/'
                  'refinemask-faster-better_r50_fpn_1x_coco.py')
    official = official_state_dict(model, [80, 80, 80, 1], simple=True)
    model.load_state_dict(tool.convert_state_dict(official), strict=True)


def test_unknown_key():
    with pytest.raises(KeyError, match='unknown official'):
        load_tool().convert_key('roi_head.mask_head.new_thing.weight')
    assert load_tool().convert_key('module.backbone.conv1.weight') == \
        'backbone.conv1.weight'
