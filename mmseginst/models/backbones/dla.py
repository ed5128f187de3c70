"""Deep Layer Aggregation (Yu et al., CVPR 2018) as used by CenterNet and
CenterMask: DLA-34.

DLA aggregates features with *trees*: a tree of depth ``d`` stacks two trees of
depth ``d - 1`` (two residual blocks at depth 1), and an aggregation node
(``Root``, a 1x1 conv over the concatenation) joins their outputs with the
inputs carried from earlier ("level root") stages. Six levels give features at
strides 1, 2, 4, 8, 16 and 32.

Module names follow the DLA authors' ImageNet checkpoints (``base_layer``,
``level0`` ... ``level5``, ``tree1``/``tree2``/``root``/``project``), so
``init_cfg=dict(type='Pretrained', checkpoint=<dla34 url>)`` loads them (the
classifier weights are ignored).
"""
from typing import List, Optional, Sequence

import torch
import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from torch import Tensor

from ...registry import MODELS


def _bn(channels: int, norm_cfg: dict) -> nn.Module:
    return build_norm_layer(norm_cfg, channels)[1]


class BasicBlock(nn.Module):
    """Two 3x3 convs with a residual given by the caller (the tree decides
    whether it is projected/downsampled)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int,
                 norm_cfg: dict) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(
            in_channels, out_channels, 3, stride, padding=1, bias=False)
        self.bn1 = _bn(out_channels, norm_cfg)
        self.conv2 = nn.Conv2d(
            out_channels, out_channels, 3, 1, padding=1, bias=False)
        self.bn2 = _bn(out_channels, norm_cfg)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor, residual: Optional[Tensor] = None) -> Tensor:
        residual = x if residual is None else residual
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + residual)


class Root(nn.Module):
    """Aggregation node: 1x1 conv + BN over the concatenated children (+ the
    first child as residual when ``residual``), then ReLU."""

    def __init__(self, in_channels: int, out_channels: int, residual: bool,
                 norm_cfg: dict) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.bn = _bn(out_channels, norm_cfg)
        self.relu = nn.ReLU(inplace=True)
        self.residual = residual

    def forward(self, *children: Tensor) -> Tensor:
        x = self.bn(self.conv(torch.cat(children, dim=1)))
        if self.residual:
            x = x + children[0]
        return self.relu(x)


class Tree(nn.Module):
    """A DLA tree of depth ``levels`` (hierarchical deep aggregation).

    Args:
        levels (int): depth; 1 is two blocks joined by a root.
        in_channels, out_channels (int): channels in and out.
        stride (int): downsampling of the first block (max-pool for the
            residual path).
        level_root (bool): the tree's (downsampled) input joins its root.
        root_dim (int): channels entering the root; 0 means 2 x out_channels
            (+ in_channels with ``level_root``).
        root_residual (bool): residual connection in the roots.
    """

    def __init__(self, levels: int, in_channels: int, out_channels: int,
                 stride: int = 1, level_root: bool = False,
                 root_dim: int = 0, root_residual: bool = False,
                 norm_cfg: dict = dict(type='BN')) -> None:
        super().__init__()
        if root_dim == 0:
            root_dim = 2 * out_channels
        if level_root:
            root_dim += in_channels
        if levels == 1:
            self.tree1 = BasicBlock(in_channels, out_channels, stride,
                                    norm_cfg)
            self.tree2 = BasicBlock(out_channels, out_channels, 1, norm_cfg)
            self.root = Root(root_dim, out_channels, root_residual, norm_cfg)
        else:
            self.tree1 = Tree(levels - 1, in_channels, out_channels, stride,
                              root_dim=0, root_residual=root_residual,
                              norm_cfg=norm_cfg)
            # the deeper half's root also receives tree1's output
            self.tree2 = Tree(levels - 1, out_channels, out_channels,
                              root_dim=root_dim + out_channels,
                              root_residual=root_residual, norm_cfg=norm_cfg)
        self.levels = levels
        self.level_root = level_root
        self.downsample = nn.MaxPool2d(stride, stride=stride) \
            if stride > 1 else None
        self.project = None
        if in_channels != out_channels:
            self.project = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, bias=False),
                _bn(out_channels, norm_cfg))

    def forward(self, x: Tensor, residual: Optional[Tensor] = None,
                children: Optional[List[Tensor]] = None) -> Tensor:
        children = [] if children is None else children
        bottom = self.downsample(x) if self.downsample is not None else x
        residual = self.project(bottom) if self.project is not None \
            else bottom
        if self.level_root:
            children.append(bottom)
        x1 = self.tree1(x, residual)
        if self.levels == 1:
            return self.root(self.tree2(x1), x1, *children)
        children.append(x1)
        return self.tree2(x1, children=children)


@MODELS.register_module()
class DLA(BaseModule):
    """DLA backbone; returns the features of the levels in ``out_indices``.

    Args:
        depth (int): 34 (the only CenterNet/CenterMask variant; others can
            be built by passing ``levels``/``channels``).
        levels (Sequence[int], optional): blocks per level (conv levels 0-1)
            or tree depth (levels 2-5).
        channels (Sequence[int], optional): channels of the six levels.
        out_indices (Sequence[int]): levels to return; (0..5) by default,
            strides 1 to 32, what :class:`DLAUpNeck` consumes.
        residual_root (bool): residual roots (False for DLA-34).
        norm_cfg (dict): normalisation layers. Defaults to BN.
    """
    arch_settings = {
        34: ((1, 1, 1, 2, 2, 1), (16, 32, 64, 128, 256, 512)),
    }

    def __init__(self,
                 depth: int = 34,
                 levels: Optional[Sequence[int]] = None,
                 channels: Optional[Sequence[int]] = None,
                 out_indices: Sequence[int] = (0, 1, 2, 3, 4, 5),
                 residual_root: bool = False,
                 norm_cfg: dict = dict(type='BN', requires_grad=True),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if levels is None or channels is None:
            if depth not in self.arch_settings:
                raise KeyError(f'invalid depth {depth} for DLA; known: '
                               f'{sorted(self.arch_settings)} (or pass '
                               'levels and channels)')
            levels, channels = self.arch_settings[depth]
        if len(levels) != 6 or len(channels) != 6:
            raise ValueError('DLA needs six levels and six channel numbers')
        if not set(out_indices) <= set(range(6)):
            raise ValueError(f'out_indices must lie in 0..5, got '
                             f'{out_indices}')
        self.channels = tuple(channels)
        self.out_indices = tuple(out_indices)
        self.base_layer = nn.Sequential(
            nn.Conv2d(3, channels[0], 7, padding=3, bias=False),
            _bn(channels[0], norm_cfg), nn.ReLU(inplace=True))
        self.level0 = self._conv_level(channels[0], channels[0], levels[0],
                                       1, norm_cfg)
        self.level1 = self._conv_level(channels[0], channels[1], levels[1],
                                       2, norm_cfg)
        for i in range(2, 6):
            # every tree but the first also aggregates its input
            self.add_module(
                f'level{i}',
                Tree(levels[i], channels[i - 1], channels[i], stride=2,
                     level_root=i > 2, root_residual=residual_root,
                     norm_cfg=norm_cfg))

    @staticmethod
    def _conv_level(in_channels: int, out_channels: int, num_convs: int,
                    stride: int, norm_cfg: dict) -> nn.Sequential:
        layers = []
        for i in range(num_convs):
            layers += [
                nn.Conv2d(in_channels, out_channels, 3,
                          stride if i == 0 else 1, padding=1, bias=False),
                _bn(out_channels, norm_cfg),
                nn.ReLU(inplace=True)
            ]
            in_channels = out_channels
        return nn.Sequential(*layers)

    def init_weights(self) -> None:
        if self.init_cfg is not None:
            super().init_weights()
            return
        # He initialisation of the DLA authors
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out',
                                        nonlinearity='relu')
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> tuple:
        outs = []
        x = self.base_layer(x)
        for i in range(6):
            x = getattr(self, f'level{i}')(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
