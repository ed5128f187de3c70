"""Convert an official RefineMask checkpoint (zhanggang001/RefineMask, mmdet
2.3; COCO / LVIS / Cityscapes rows of its README) to mmseginst.

    python tools/model_converters/refinemask_to_mmseginst.py \
        r50-refinemask-1x.pth refinemask_r50_fpn_1x_coco.pth \
        --config configs/refinemask/refinemask_r50_fpn_1x_coco.py

Backbone, FPN, RPN and box head keep mmdet's names between 2.3 and 3.x.
The official ``RefineMaskHead`` / ``SimpleRefineMaskHead`` also hold the
semantic head, which is its own module here
(``mmdet/models/roi_heads/mask_heads/refine_mask_head.py`` there):

==================================================  =========================
official (under roi_head.mask_head.)                mmseginst (under roi_head.)
==================================================  =========================
instance_convs.{i}.conv                             mask_head.convs.{i}.conv
semantic_convs.{i}.conv                             semantic_head.convs.{i}
                                                    .conv
semantic_logits                                     semantic_head.conv_logits
stages.{k}.fuse_conv.0                              mask_head.stages.{k}
                                                    .fuse_conv
stages.{k}.fuse_conv.1.dilation_conv_{j}.conv       ...stages.{k}.fusion
                                                    .branches.{j-1}.conv
stages.{k}.fuse_conv.1.merge_conv.conv              ...stages.{k}.fusion
                                                    .merge_conv.conv
stages.{k}.{semantic_transform_in,                  mask_head.stages.{k}.(same)
  semantic_transform_out, instance_logits,
  fuse_transform_out}
final_instance_logits                               mask_head.final_logits
stage_instance_logits.{k} (faster-better)           mask_head.stage_logits.{k}
==================================================  =========================

A ``module.`` prefix (DDP) is stripped, the optimizer state dropped, and
the result checked by a ``strict=True`` load into ``--config``'s model.
"""
import re
from collections import OrderedDict
from typing import Dict

import torch

from mmseginst.utils.checkpoint import safe_torch_load
from mmseginst.utils.converter import (converter_main, load_into_config,
                                      save_converted)

HEAD = 'roi_head.mask_head.'
_RULES = [
    (r'instance_convs\.(\d+)\.conv\.', r'mask_head.convs.\1.conv.'),
    (r'semantic_convs\.(\d+)\.conv\.', r'semantic_head.convs.\1.conv.'),
    (r'semantic_logits\.', 'semantic_head.conv_logits.'),
    (r'stages\.(\d+)\.fuse_conv\.0\.', r'mask_head.stages.\1.fuse_conv.'),
    (r'stages\.(\d+)\.fuse_conv\.1\.merge_conv\.',
     r'mask_head.stages.\1.fusion.merge_conv.'),
    (r'stages\.(\d+)\.(semantic_transform_in|semantic_transform_out|'
     r'instance_logits|fuse_transform_out)\.', r'mask_head.stages.\1.\2.'),
    (r'final_instance_logits\.', 'mask_head.final_logits.'),
    (r'stage_instance_logits\.(\d+)\.', r'mask_head.stage_logits.\1.'),
]
_BRANCH = re.compile(r'^stages\.(\d+)\.fuse_conv\.1\.dilation_conv_(\d+)\.'
                     r'(conv\.(?:weight|bias))$')


def convert_key(key: str) -> str:
    """Our key for an official key.

    Raises:
        KeyError: an official mask-head key this converter does not know.
    """
    if key.startswith('module.'):
        key = key[len('module.'):]
    if not key.startswith(HEAD):
        return key  # same name in mmdet 2.3 and 3.x
    rest = key[len(HEAD):]
    m = _BRANCH.match(rest)
    if m:
        stage, branch, param = m.groups()
        return (f'roi_head.mask_head.stages.{stage}.fusion.branches.'
                f'{int(branch) - 1}.{param}')
    for pattern, repl in _RULES:
        new, count = re.subn('^' + pattern, repl, rest)
        if count:
            return 'roi_head.' + new
    raise KeyError(f'unknown official RefineMask mask-head key {key!r}')


def convert_state_dict(
        state: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Official (mmdet 2.3) state dict -> mmseginst state dict."""
    return OrderedDict((convert_key(k), v) for k, v in state.items())


def convert(src: str, dst: str, config: str = None,
            trusted: bool = False) -> None:
    """Convert ``src`` to ``dst``; check a strict load into ``config``'s
    model if given."""
    ckpt = safe_torch_load(src, map_location='cpu', trusted=trusted)
    state = ckpt.get('state_dict', ckpt)
    ours = convert_state_dict(state)
    if config is not None:
        load_into_config(ours, config, src)
    meta = dict(converted_from=src)
    classes = ckpt.get('meta', {}).get('CLASSES') if isinstance(
        ckpt.get('meta'), dict) else None
    if classes is not None:
        meta['dataset_meta'] = dict(classes=tuple(classes))
    save_converted(ours, dst, **meta)


def main(argv=None):
    converter_main(convert, __doc__.splitlines()[0], argv=argv)


if __name__ == '__main__':
    main()
