"""Convert a centermask2 (detectron2) CenterMask checkpoint, whole model, to
mmseginst's :class:`CenterMask`.

    python tools/model_converters/centermask2_to_mmseginst.py \
        centermask2-V-39-eSE-FPN-ms-3x.pth centermask_v2-39_coco.pth \
        --config configs/centermask/centermask_v2-39_fpn_ms-3x_coco.py

Key mapping, written from the official module structure
(``centermask/modeling``: ``backbone/vovnet.py``, ``backbone/fpn.py``,
``fcos/fcos.py``, ``centermask/{sam,center_heads,maskiou_head}.py``) and
detectron2's FPN/ResNet:

==============================================  ===========================
centermask2                                     mmseginst
==============================================  ===========================
backbone.bottom_up.<VoVNet>                     backbone.<see vovnet_ckpt_
                                                convert.py>
backbone.bottom_up.stem.conv1(.norm)            backbone.conv1 / bn1
backbone.bottom_up.res{n}.{b}.conv{k}(.norm)    backbone.layer{n-1}.{b}.conv
                                                {k} / bn{k}
backbone.bottom_up.res{n}.{b}.shortcut(.norm)   ...downsample.0 / .1
backbone.fpn_lateral{3,4,5}                     neck.lateral_convs.{0,1,2}.conv
backbone.fpn_output{3,4,5}                      neck.fpn_convs.{0,1,2}.conv
backbone.top_block.p6 / p7                      neck.fpn_convs.3 / 4 .conv
proposal_generator.fcos_head.cls_tower.{3i}     bbox_head.cls_convs.{i}.conv
proposal_generator.fcos_head.cls_tower.{3i+1}   bbox_head.cls_convs.{i}.gn
(bbox_tower -> reg_convs) cls_logits, bbox_pred, conv_cls, conv_reg,
ctrness, scales.{l}.scale                       conv_centerness, scales.{l}
roi_heads.mask_head.mask_fcn{k}                 roi_head.mask_head.convs.{k-1}
                                                .conv
roi_heads.mask_head.spatialAtt.conv             roi_head.mask_head.sam.conv
roi_heads.mask_head.deconv / predictor          ...upsample / conv_logits
roi_heads.maskiou_head.maskiou_fcn{k}           roi_head.mask_iou_head.convs
                                                .{k-1}
roi_heads.maskiou_head.maskiou_fc1 / fc2        ...fcs.0 / fcs.1
roi_heads.maskiou_head.maskiou                  ...fc_mask_iou
==============================================  ===========================

``pixel_mean`` / ``pixel_std`` buffers are dropped (our configs set the same
values in the data preprocessor). The result is checked by a ``strict=True``
load into the model of ``--config``. The MobileNetV2 backbone of
CenterMask-Lite-Mv2 is not supported (its official module structure differs
from mmdet's MobileNetV2).
"""
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict, Optional

import numpy as np
import torch

from mmseginst.models.backbones.vovnet_ckpt_convert import (
    add_num_batches_tracked, convert_vovnet_key)
from mmseginst.utils.checkpoint import safe_torch_load
from mmseginst.utils.converter import (converter_main, load_into_config,
                                      save_converted)

_FPN = re.compile(r'^backbone\.fpn_(lateral|output)([3-5])\.(weight|bias)$')
_TOP = re.compile(r'^backbone\.top_block\.p([67])\.(weight|bias)$')
_RES_STEM = re.compile(r'^stem\.conv1(\.norm)?\.(\w+)$')
_RES_BLOCK = re.compile(
    r'^res([2-5])\.(\d+)\.(conv[123]|shortcut)(\.norm)?\.(\w+)$')
_TOWER = re.compile(r'^proposal_generator\.fcos_head\.(cls|bbox)_tower\.'
                    r'(\d+)\.(weight|bias)$')
_FCOS = {
    'cls_logits': 'conv_cls',
    'bbox_pred': 'conv_reg',
    'ctrness': 'conv_centerness'
}
_MASK = re.compile(r'^roi_heads\.mask_head\.(mask_fcn(\d+)|spatialAtt\.conv|'
                   r'deconv|predictor)\.(weight|bias)$')
_IOU = re.compile(r'^roi_heads\.maskiou_head\.(maskiou_fcn(\d+)|maskiou_fc1|'
                  r'maskiou_fc2|maskiou)\.(weight|bias)$')
_DROP = ('pixel_mean', 'pixel_std')


def _resnet_key(key: str) -> Optional[str]:
    m = _RES_STEM.match(key)
    if m:
        return f'{"bn1" if m.group(1) else "conv1"}.{m.group(2)}'
    m = _RES_BLOCK.match(key)
    if not m:
        return None
    stage, block, unit, norm, param = m.groups()
    prefix = f'layer{int(stage) - 1}.{block}'
    if unit == 'shortcut':
        return f'{prefix}.downsample.{1 if norm else 0}.{param}'
    return f'{prefix}.{"bn" + unit[-1] if norm else unit}.{param}'


def _backbone_key(key: str) -> Optional[str]:
    rest = key[len('backbone.bottom_up.'):]
    new = convert_vovnet_key(rest) or _resnet_key(rest)
    return None if new is None else 'backbone.' + new


def convert_key(key: str, tower_step: int = 3) -> Optional[str]:
    """Our key for a centermask2 key; None for keys that are dropped.

    Raises:
        KeyError: The key belongs to no known module.
    """
    if key in _DROP:
        return None
    if key.startswith('backbone.bottom_up.'):
        new = _backbone_key(key)
        if new is None:
            raise KeyError(f'unsupported backbone key {key!r} (VoVNet and '
                           'ResNet backbones are supported)')
        return new
    m = _FPN.match(key)
    if m:
        kind, level, param = m.groups()
        name = 'lateral_convs' if kind == 'lateral' else 'fpn_convs'
        return f'neck.{name}.{int(level) - 3}.conv.{param}'
    m = _TOP.match(key)
    if m:
        return f'neck.fpn_convs.{int(m.group(1)) - 3}.conv.{m.group(2)}'
    m = _TOWER.match(key)
    if m:
        tower, idx, param = m.groups()
        conv, unit = divmod(int(idx), tower_step)
        if unit > 1:
            raise KeyError(f'unexpected FCOS tower key {key!r}')
        convs = 'cls_convs' if tower == 'cls' else 'reg_convs'
        return f'bbox_head.{convs}.{conv}.{"conv" if unit == 0 else "gn"}.' \
               f'{param}'
    if key.startswith('proposal_generator.fcos_head.'):
        rest = key[len('proposal_generator.fcos_head.'):]
        name, _, param = rest.partition('.')
        if name in _FCOS:
            return f'bbox_head.{_FCOS[name]}.{param}'
        if name == 'scales':
            return f'bbox_head.{rest}'
    m = _MASK.match(key)
    if m:
        unit, k, param = m.groups()
        name = f'convs.{int(k) - 1}.conv' if k else {
            'spatialAtt.conv': 'sam.conv',
            'deconv': 'upsample',
            'predictor': 'conv_logits'
        }[unit]
        return f'roi_head.mask_head.{name}.{param}'
    m = _IOU.match(key)
    if m:
        unit, k, param = m.groups()
        name = f'convs.{int(k) - 1}' if k else {
            'maskiou_fc1': 'fcs.0',
            'maskiou_fc2': 'fcs.1',
            'maskiou': 'fc_mask_iou'
        }[unit]
        return f'roi_head.mask_iou_head.{name}.{param}'
    raise KeyError(f'unknown centermask2 key {key!r}')


def convert_centermask2_state_dict(ckpt: Dict) -> 'OrderedDict':
    """Our state dict from a centermask2 checkpoint (``{'model': ...}`` or a
    bare state dict); numpy arrays become tensors, the FCOS Scale
    parameters become scalars, BN gets ``num_batches_tracked``."""
    state = ckpt.get('model', ckpt) if isinstance(ckpt, dict) else ckpt
    # with GN the towers are (conv, GN, ReLU) x n, without GN (conv, ReLU)
    has_gn = any(
        re.match(r'^proposal_generator\.fcos_head\.cls_tower\.1\.', k)
        for k in state)
    out = OrderedDict()
    for key, value in state.items():
        new = convert_key(key, tower_step=3 if has_gn else 2)
        if new is None:
            continue
        if isinstance(value, np.ndarray):
            value = torch.from_numpy(value)
        if new.startswith('bbox_head.scales.'):
            value = value.reshape(())
        out[new] = value
    return add_num_batches_tracked(out)


def convert(src: str, dst: str, config: str, trusted: bool = False):
    """Convert ``src``, check it with a strict load into the model of
    ``config`` and return that model."""
    state = convert_centermask2_state_dict(
        safe_torch_load(src, map_location='cpu', trusted=trusted))
    model = load_into_config(state, config, src)
    save_converted(state, dst, source=osp.basename(src), config=config,
                   converter=osp.basename(__file__))
    return model


def main(argv=None):
    def run(*args):
        convert(*args)  # the returned model is not printed

    converter_main(run, 'Convert a centermask2 checkpoint to mmseginst',
                   config_required=True, argv=argv)


if __name__ == '__main__':
    main()
