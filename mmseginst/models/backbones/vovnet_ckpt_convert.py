"""Key mapping from the official detectron2 VoVNet modules to ours.

Written from the module structure of ``centermask2/centermask/modeling/
backbone/vovnet.py`` (also used by ``vovnet-detectron2``). Official names:

* stem: ``stem.stem_{1,2,3}/{conv,norm}`` (depthwise archs:
  ``stem_{2,3}/{dw_conv3x3,pw_conv1x1,pw_norm}``);
* OSA module ``b`` (1-based) of stage ``s`` (2..5): ``stage{s}.OSA{s}_{b}``
  holding ``layers.{i}.OSA{s}_{b}_{i}/{conv,norm}`` (depthwise:
  ``dw_conv3x3``, ``pw_conv1x1``, ``pw_norm``; DCN: ``conv_offset`` next to
  ``conv``), ``conv_reduction.OSA{s}_{b}_reduction_0/{conv,norm}``,
  ``concat.OSA{s}_{b}_concat/{conv,norm}`` and ``ese.fc``.

Norm layers are detectron2 ``FrozenBatchNorm2d`` (weight, bias,
running_mean, running_var); ours are BN, so ``num_batches_tracked`` is added.
"""
import re
from collections import OrderedDict
from typing import Dict, Optional

import numpy as np
import torch

_UNITS = {
    'conv': 'conv',
    'norm': 'bn',
    'dw_conv3x3': 'depthwise_conv.conv',
    'pw_conv1x1': 'pointwise_conv.conv',
    'pw_norm': 'pointwise_conv.bn',
    'conv_offset': 'conv.conv_offset',
}
_UNIT = '(conv|norm|dw_conv3x3|pw_conv1x1|pw_norm|conv_offset)'
_STEM = re.compile(r'^stem\.stem_([123])/' + _UNIT + r'\.(\w+)$')
_BLOCK = re.compile(r'^stage([2-5])\.OSA[2-5]_(\d+)\.(.+)$')
_LAYER = re.compile(r'^layers\.(\d+)\.OSA\d_\d+_\d+/' + _UNIT + r'\.(\w+)$')
_REDUCTION = re.compile(r'^conv_reduction\.OSA\d_\d+_reduction_0/'
                        r'(conv|norm)\.(\w+)$')
_CONCAT = re.compile(r'^concat\.OSA\d_\d+_concat/(conv|norm)\.(\w+)$')
_ESE = re.compile(r'^ese\.fc\.(weight|bias)$')

# prefixes under which the backbone is stored in detection checkpoints
_PREFIXES = ('module.', 'backbone.bottom_up.', 'backbone.')


def convert_vovnet_key(key: str) -> Optional[str]:
    """Our key for an official VoVNet key (without prefix), or None if the
    key is not a VoVNet parameter/buffer (e.g. an ImageNet classifier)."""
    m = _STEM.match(key)
    if m:
        idx, unit, param = m.groups()
        return f'stem.{int(idx) - 1}.{_UNITS[unit]}.{param}'
    m = _BLOCK.match(key)
    if not m:
        return None
    stage, block, rest = m.groups()
    prefix = f'stages.{int(stage) - 2}.blocks.{int(block) - 1}'
    m = _LAYER.match(rest)
    if m:
        layer, unit, param = m.groups()
        return f'{prefix}.layers.{layer}.{_UNITS[unit]}.{param}'
    for pattern, name in ((_REDUCTION, 'reduction'), (_CONCAT, 'concat_conv')):
        m = pattern.match(rest)
        if m:
            unit, param = m.groups()
            return f'{prefix}.{name}.{_UNITS[unit]}.{param}'
    m = _ESE.match(rest)
    if m:
        return f'{prefix}.ese.fc.{m.group(1)}'
    return None


def is_official_vovnet(state: Dict) -> bool:
    """Whether a (prefix-stripped) state dict uses the official names."""
    return any(_STEM.match(k) or _BLOCK.match(k) for k in state)


def _strip(key: str) -> str:
    for prefix in _PREFIXES:
        if key.startswith(prefix):
            return key[len(prefix):]
    return key


def _unwrap(ckpt: Dict) -> Dict:
    for name in ('state_dict', 'model'):
        if isinstance(ckpt, dict) and isinstance(ckpt.get(name), dict):
            return ckpt[name]
    return ckpt


def add_num_batches_tracked(state: Dict) -> Dict:
    """detectron2's FrozenBN has no ``num_batches_tracked``; BN does."""
    for key in list(state):
        if key.endswith('.running_var'):
            tracked = key[:-len('running_var')] + 'num_batches_tracked'
            state.setdefault(tracked, torch.tensor(0, dtype=torch.long))
    return state


def convert_vovnet_state_dict(ckpt: Dict) -> 'OrderedDict[str, torch.Tensor]':
    """Backbone state dict in our names from a checkpoint that holds a
    VoVNet in either naming (official detectron2 or ours), optionally
    wrapped in ``model``/``state_dict`` and prefixed by ``backbone.``,
    ``backbone.bottom_up.`` or ``module.``. Keys of other modules are
    dropped; numpy arrays become tensors."""
    state = {_strip(k): v for k, v in _unwrap(ckpt).items()}
    official = is_official_vovnet(state)
    out = OrderedDict()
    for key, value in state.items():
        new = convert_vovnet_key(key) if official else key
        if new is None or not new.startswith(('stem.', 'stages.')):
            continue
        if isinstance(value, np.ndarray):
            value = torch.from_numpy(value)
        out[new] = value
    return add_num_batches_tracked(out)
