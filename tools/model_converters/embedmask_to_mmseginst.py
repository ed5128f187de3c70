"""Convert an official EmbedMask checkpoint (yinghdb/EmbedMask, fcos_core /
maskrcnn-benchmark) to mmseginst's :class:`EmbedMask`.

    python tools/model_converters/embedmask_to_mmseginst.py \
        embed_mask_R50_1x.pth embedmask_r50_fpn_1x_coco.pth \
        --config configs/embedmask/embedmask_r50_fpn_1x_coco.py

Key mapping, written from the official module structure
(``fcos_core/modeling/backbone/{resnet,fpn,backbone}.py`` for
``R-50-FPN-RETINANET`` and ``fcos_core/modeling/rpn/embed_mask/
embed_mask.py``, whose head is built as ``rpn.head``):

=============================================  ==============================
official                                       mmseginst
=============================================  ==============================
backbone.body.stem.conv1 / bn1                 backbone.conv1 / bn1
backbone.body.layer{n}.{b}.conv{k} / bn{k}     backbone.layer{n}.{b}.conv{k}
                                               / bn{k}
backbone.body.layer{n}.{b}.downsample.{0,1}    ...downsample.{0,1}
backbone.fpn.fpn_inner{2,3,4}                  neck.lateral_convs.{0,1,2}.conv
backbone.fpn.fpn_layer{2,3,4}                  neck.fpn_convs.{0,1,2}.conv
backbone.fpn.top_blocks.p6 / p7                neck.fpn_convs.3 / 4 .conv
rpn.head.{cls,bbox}_tower.{3i}                 bbox_head.{cls,reg}_convs.{i}
                                               .conv
rpn.head.{cls,bbox}_tower.{3i+1}               ...{i}.gn
rpn.head.cls_logits / bbox_pred / centerness   bbox_head.conv_cls / conv_reg
                                               / conv_centerness
rpn.head.scales.{l}.scale (shape (1,))         bbox_head.scales.{l}.scale (())
rpn.head.proposal_spatial_embed_pred (2) +     bbox_head.conv_embed
  proposal_other_embed_pred (D-2), or          (output channels concatenated)
  proposal_embed_pred (D, arXiv v1)
rpn.head.proposal_margin_pred                  bbox_head.conv_margin
rpn.head.mask_tower.{3i} / {3i+1}              mask_head.mask_convs.{i}.conv
                                               / gn
rpn.head.pixel_spatial_embed_pred +            mask_head.conv_embed
  pixel_other_embed_pred, or pixel_embed_pred
rpn.head.position_scale.scale                  mask_head.position_scale.scale
=============================================  ==============================

FrozenBatchNorm has no ``num_batches_tracked``: it is added (0). A
``module.`` prefix (DDP) is stripped. The layout of the checkpoint (D,
margin channels and source, spatial channels) is detected from the keys and
shapes and printed as the config values it needs; the result is checked by a
``strict=True`` load into the model of ``--config``.
"""
import re
from collections import OrderedDict
from typing import Dict, Tuple

import torch

from mmseginst.utils.checkpoint import safe_torch_load
from mmseginst.utils.converter import (converter_main, load_into_config,
                                      save_converted)

_STEM = re.compile(r'^backbone\.body\.stem\.(conv1|bn1)\.(\w+)$')
_BLOCK = re.compile(r'^backbone\.body\.(layer[1-4]\.\d+\.\w+(\.\d)?)\.(\w+)$')
_FPN = re.compile(r'^backbone\.fpn\.fpn_(inner|layer)([2-4])\.(weight|bias)$')
_TOP = re.compile(r'^backbone\.fpn\.top_blocks\.p([67])\.(weight|bias)$')
_TOWER = re.compile(r'^rpn\.head\.(cls|bbox|mask)_tower\.(\d+)\.(weight|bias)$')
_SIMPLE = {
    'cls_logits': 'bbox_head.conv_cls',
    'bbox_pred': 'bbox_head.conv_reg',
    'centerness': 'bbox_head.conv_centerness',
    'proposal_margin_pred': 'bbox_head.conv_margin',
    'proposal_embed_pred': 'bbox_head.conv_embed',
    'pixel_embed_pred': 'mask_head.conv_embed',
}
# (spatial, other) -> ours: their output channels are concatenated
_SPLIT = {
    'proposal': 'bbox_head.conv_embed',
    'pixel': 'mask_head.conv_embed',
}
_TOWERS = {'cls': 'bbox_head.cls_convs', 'bbox': 'bbox_head.reg_convs',
           'mask': 'mask_head.mask_convs'}


def convert_key(key: str) -> str:
    """Our key for an official key (not for the split embedding convs).

    Raises:
        KeyError: the key belongs to no known module.
    """
    m = _STEM.match(key)
    if m:
        return f'backbone.{m.group(1)}.{m.group(2)}'
    m = _BLOCK.match(key)
    if m:
        return f'backbone.{m.group(1)}.{m.group(3)}'
    m = _FPN.match(key)
    if m:
        kind, level, param = m.groups()
        name = 'lateral_convs' if kind == 'inner' else 'fpn_convs'
        return f'neck.{name}.{int(level) - 2}.conv.{param}'
    m = _TOP.match(key)
    if m:
        return f'neck.fpn_convs.{int(m.group(1)) - 3}.conv.{m.group(2)}'
    m = _TOWER.match(key)
    if m:
        tower, idx, param = m.groups()
        conv, unit = divmod(int(idx), 3)  # conv, GroupNorm, ReLU
        if unit > 1:
            raise KeyError(f'unexpected tower key {key!r}')
        return f'{_TOWERS[tower]}.{conv}.{"conv" if unit == 0 else "gn"}.' \
               f'{param}'
    rest = key[len('rpn.head.'):] if key.startswith('rpn.head.') else None
    if rest is not None:
        name, _, param = rest.partition('.')
        if name in _SIMPLE:
            return f'{_SIMPLE[name]}.{param}'
        if name == 'scales':
            return f'bbox_head.{rest}'
        if name == 'position_scale':
            return f'mask_head.{rest}'
    raise KeyError(f'unknown official EmbedMask key {key!r}')


def convert_state_dict(state: Dict[str, torch.Tensor]
                       ) -> Tuple[Dict[str, torch.Tensor], dict]:
    """Official state dict -> (ours, layout). ``layout`` holds the config
    values the checkpoint needs (embed_dims, margin_channels,
    margin_source, num_spatial_dims)."""
    state = {k[len('module.'):] if k.startswith('module.') else k: v
             for k, v in state.items()}
    out = OrderedDict()
    for key, value in state.items():
        m = re.match(r'^rpn\.head\.(proposal|pixel)_(spatial|other)_embed_'
                     r'pred\.(weight|bias)$', key)
        if m:
            if m.group(2) == 'spatial':
                other = state[key.replace('_spatial_', '_other_')]
                out[f'{_SPLIT[m.group(1)]}.{m.group(3)}'] = torch.cat(
                    [value, other])
            continue
        new = convert_key(key)
        if new.endswith('.scale'):
            value = value.reshape(())  # fcos_core Scale: (1,); mmcv: ()
        out[new] = value
        if new.startswith('backbone.') and new.endswith('.running_var'):
            out[new.replace('running_var', 'num_batches_tracked')] = \
                torch.tensor(0)
    margin = out['bbox_head.conv_margin.weight']
    layout = dict(
        embed_dims=out['bbox_head.conv_embed.weight'].shape[0],
        margin_channels=margin.shape[0],
        margin_source='box' if margin.shape[1] == 4 else 'feature',
        num_spatial_dims=2 if 'mask_head.position_scale.scale' in out else 0)
    return out, layout


def convert(src: str, dst: str, config: str = None,
            trusted: bool = False) -> dict:
    """Convert ``src`` to ``dst``; check a strict load into ``config``'s
    model if given. Returns the detected layout."""
    ckpt = safe_torch_load(src, trusted=trusted)
    state = ckpt.get('model', ckpt)
    ours, layout = convert_state_dict(state)
    if config is not None:
        load_into_config(ours, config, src,
                         f'the checkpoint needs bbox_head/mask_head settings '
                         f'{layout}')
    save_converted(ours, dst, converted_from=src, layout=layout)
    return layout


def main(argv=None):
    converter_main(convert, __doc__.splitlines()[0], argv=argv)


if __name__ == '__main__':
    main()
