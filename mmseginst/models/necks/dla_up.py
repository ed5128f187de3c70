"""CenterNet's upsampling neck for DLA (Zhou et al. 2019, "Objects as
Points", Sec. 4 / Fig. 6c): iterative deep aggregation (IDA) up to stride 4.

Two stages, as in CenterNet's ``DLASeg``:

1. **DLA-up**: starting from the deepest level, repeatedly fold the coarser
   levels into the next finer one with an :class:`IDAUp` step, so that after
   the last step the list holds every level re-expressed at the finest
   stride; the finest entry of each step is kept (strides 4, 8, 16, 32 with
   the finer levels' channels).
2. **IDA-up**: one more :class:`IDAUp` over those outputs (stride 4, 8, 16)
   gives the stride-4 map.

Every projection and aggregation node is a 3x3 modulated deformable conv
(DCNv2) + BN + ReLU; upsampling is a depthwise transposed conv initialised as
bilinear interpolation (both as in CenterNet). ``use_dcn=False`` swaps the
deformable convs for plain ones.
"""
import math
from typing import List, Sequence

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor

from ...registry import MODELS


def _bilinear_deconv(channels: int, factor: int) -> nn.ConvTranspose2d:
    """Depthwise ConvTranspose2d upsampling by ``factor``, initialised to
    bilinear interpolation (trainable)."""
    up = nn.ConvTranspose2d(channels, channels, 2 * factor, stride=factor,
                            padding=factor // 2, groups=channels, bias=False)
    size = up.weight.shape[-1]
    f = math.ceil(size / 2)
    c = (2 * f - 1 - f % 2) / (2. * f)
    for i in range(size):
        for j in range(size):
            up.weight.data[:, 0, i, j] = \
                (1 - abs(i / f - c)) * (1 - abs(j / f - c))
    return up


class IDAUp(nn.Module):
    """One iterative-aggregation step over a list of maps.

    ``layers[start]`` is the anchor; each later ``layers[i]`` is projected to
    ``out_channels``, upsampled by ``up_factors[i - start]`` to the previous
    entry's stride and aggregated with it: ``layers[i] = node(up(proj(
    layers[i])) + layers[i - 1])``. The list is updated in place.

    Args:
        out_channels (int): channels after projection.
        in_channels (Sequence[int]): channels of the maps, anchor first.
        up_factors (Sequence[int]): upsampling of each map relative to the
            anchor's stride after the previous entries were folded in.
    """

    def __init__(self, out_channels: int, in_channels: Sequence[int],
                 up_factors: Sequence[int], conv_cfg: dict,
                 norm_cfg: dict) -> None:
        super().__init__()
        self.projs = nn.ModuleList()
        self.ups = nn.ModuleList()
        self.nodes = nn.ModuleList()
        for channels, factor in zip(in_channels[1:], up_factors[1:]):
            self.projs.append(
                ConvModule(channels, out_channels, 3, padding=1,
                           conv_cfg=conv_cfg, norm_cfg=norm_cfg))
            self.ups.append(_bilinear_deconv(out_channels, int(factor)))
            self.nodes.append(
                ConvModule(out_channels, out_channels, 3, padding=1,
                           conv_cfg=conv_cfg, norm_cfg=norm_cfg))

    def forward(self, layers: List[Tensor], start: int) -> None:
        for k, (proj, up, node) in enumerate(
                zip(self.projs, self.ups, self.nodes)):
            i = start + 1 + k
            layers[i] = node(up(proj(layers[i])) + layers[i - 1])


@MODELS.register_module()
class DLAUpNeck(BaseModule):
    """DLA-up + IDA-up neck to stride 4 (CenterNet's ``DLASeg`` decoder).

    Input: the backbone's six levels (strides 1..32, e.g. DLA-34's
    16, 32, 64, 128, 256, 512 channels). Output: a 1-tuple with the
    (B, in_channels[start_level], H/4, W/4) map.

    Args:
        in_channels (Sequence[int]): channels of all backbone levels.
        start_level (int): first level used, log2 of the output stride.
            Defaults to 2 (stride 4).
        end_level (int): the IDA-up stage aggregates levels
            [start_level, end_level). Defaults to 5 (CenterNet's
            ``last_level``).
        use_dcn (bool): DCNv2 (default, as CenterNet) or plain 3x3 convs.
    """

    def __init__(self,
                 in_channels: Sequence[int] = (16, 32, 64, 128, 256, 512),
                 start_level: int = 2,
                 end_level: int = 5,
                 use_dcn: bool = True,
                 norm_cfg: dict = dict(type='BN', requires_grad=True),
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not 0 <= start_level < end_level <= len(in_channels):
            raise ValueError(
                f'need 0 <= start_level < end_level <= {len(in_channels)}, '
                f'got start_level={start_level}, end_level={end_level}')
        self.start_level = start_level
        self.end_level = end_level
        conv_cfg = dict(type='DCNv2') if use_dcn else None
        channels = list(in_channels[start_level:])
        scales = [2**i for i in range(len(channels))]
        # DLA-up: step k folds levels [j, end) into level j = -(k + 2); the
        # folded levels then sit at level j's stride with its channels.
        self.dla_up = nn.ModuleList()
        current = list(channels)
        for k in range(len(channels) - 1):
            j = len(channels) - 2 - k
            self.dla_up.append(
                IDAUp(channels[j], current[j:],
                      [s // scales[j] for s in scales[j:]], conv_cfg,
                      norm_cfg))
            scales[j + 1:] = [scales[j]] * (len(scales) - j - 1)
            current[j + 1:] = [channels[j]] * (len(current) - j - 1)
        # IDA-up over the DLA-up outputs of levels [start, end)
        num = end_level - start_level
        self.ida_up = IDAUp(channels[0], channels[:num],
                            [2**i for i in range(num)], conv_cfg, norm_cfg)
        self.out_channels = channels[0]

    def forward(self, inputs: Sequence[Tensor]) -> tuple:
        if len(inputs) <= self.start_level:
            raise ValueError(f'DLAUpNeck expects all backbone levels, got '
                             f'{len(inputs)} maps')
        layers = list(inputs[self.start_level:])
        outs = [layers[-1]]
        for k, ida in enumerate(self.dla_up):
            j = len(layers) - 2 - k
            ida(layers, j)
            outs.insert(0, layers[-1])
        maps = outs[:self.end_level - self.start_level]
        self.ida_up(maps, 0)
        return (maps[-1], )
