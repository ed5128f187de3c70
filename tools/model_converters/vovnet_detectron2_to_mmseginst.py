"""Convert an ImageNet-pretrained VoVNet(V2) backbone published for
detectron2 (vovnet-detectron2 / centermask2 READMEs, e.g.
``vovnet39_ese_detectron2.pth``) to mmseginst's :class:`VoVNet` names.

    python tools/model_converters/vovnet_detectron2_to_mmseginst.py \
        vovnet39_ese_detectron2.pth vovnet39_ese_mmseginst.pth [--arch 39]

The result is checked by a ``strict=True`` load into ``VoVNet(arch)``; the
architecture (and DCN stages, if any) is inferred from the weights unless
``--arch`` is given. Configs may also point ``init_cfg`` straight at the
official file: :meth:`VoVNet.init_weights` converts it on load.
"""
import argparse
import os.path as osp
from typing import Dict, Optional, Tuple

import torch

from mmseginst.models.backbones.vovnet import VoVNet
from mmseginst.models.backbones.vovnet_ckpt_convert import \
    convert_vovnet_state_dict
from mmseginst.utils.checkpoint import safe_torch_load

DCN = dict(type='DCNv2', deform_groups=1)


def _dcn_stages(state: Dict) -> Tuple[bool, ...]:
    return tuple(
        any(k.startswith(f'stages.{i}.') and '.conv_offset.' in k
            for k in state) for i in range(4))


def build_matching_vovnet(state: Dict,
                          arch: Optional[str] = None) -> VoVNet:
    """The VoVNet whose state dict has exactly the keys and shapes of
    ``state`` (our names); ``arch`` restricts the search to one variant."""
    stages = _dcn_stages(state)
    kwargs = dict(out_indices=(0, 1, 2, 3), stage_with_dcn=stages,
                  dcn=DCN if any(stages) else None)
    candidates = [arch] if arch else list(VoVNet.arch_settings)
    for name in candidates:
        model = VoVNet(name, **kwargs)
        ours = model.state_dict()
        if set(ours) == set(state) and all(
                ours[k].shape == state[k].shape for k in ours):
            return model
    raise ValueError(
        'the weights match no VoVNet variant' +
        (f' (arch={arch!r} was requested)' if arch else '') +
        f'; first keys: {sorted(state)[:5]}')


def convert(src: str, dst: str, arch: Optional[str] = None,
            trusted: bool = False) -> str:
    """Convert ``src`` to ``dst``; return the architecture name."""
    ckpt = safe_torch_load(src, map_location='cpu', trusted=trusted)
    state = convert_vovnet_state_dict(ckpt)
    if not state:
        raise ValueError(f'{src!r} holds no VoVNet weights')
    model = build_matching_vovnet(state, arch)
    model.load_state_dict(state, strict=True)
    torch.save(
        dict(state_dict=state,
             meta=dict(source=osp.basename(src), arch=model.arch,
                       converter=osp.basename(__file__))), dst)
    return model.arch


def parse_args():
    parser = argparse.ArgumentParser(
        description='Convert a detectron2 VoVNet backbone checkpoint')
    parser.add_argument('src', help='official checkpoint (.pth)')
    parser.add_argument('dst', help='output path')
    parser.add_argument(
        '--arch', choices=sorted(VoVNet.arch_settings),
        help='VoVNet variant (inferred from the weights by default)')
    parser.add_argument(
        '--trust-checkpoint', action='store_true',
        help='allow full unpickling of src (only for files you trust)')
    return parser.parse_args()


def main():
    args = parse_args()
    arch = convert(args.src, args.dst, args.arch, args.trust_checkpoint)
    print(f'VoVNet-{arch}: {args.src} -> {args.dst} (strict load ok)')


if __name__ == '__main__':
    main()
