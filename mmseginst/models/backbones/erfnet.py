"""ERFNet (Romera et al., T-ITS 2018): the encoder used as a backbone and the
decoder used by the branches of SpatialEmbeddings' BranchedERFNet.

ERFNet is a real-time encoder-decoder built from two kinds of blocks:

* a *downsampler* that concatenates a strided 3x3 convolution (``C_out -
  C_in`` channels) with a 2x2 max-pool of its input (``C_in`` channels);
* the *non-bottleneck-1d* residual block: two pairs of factorised 3x1 / 1x3
  convolutions (the second pair dilated), BN after each pair, spatial
  dropout, identity shortcut.

Encoder (output stride 8)::

    (B, 3, H, W) -> down 16 -> down 64 -> 5 x nb1d(64, p=0.03, d=1)
    -> down 128 -> 2 x [nb1d(128, p=0.3, d) for d in 2, 4, 8, 16]
    -> (B, 128, H/8, W/8)

Decoder (x8 upsampling)::

    (B, C_in, H/8, W/8) -> up 64 -> 2 x nb1d(64) -> up 16 -> 2 x nb1d(16)
    -> ConvTranspose 2x2 s2 -> (B, C_out, H, W)

All BN layers use eps=1e-3 as in ERFNet. Module names (``initial_block``,
``layers``, ``conv3x1_1``, ``bn1``, ``output_conv`` ...) follow the module
structure of the original implementation so that released weights map onto
them one to one (see tools/model_converters/spatial_embeddings2mmseginst.py).
"""
from typing import Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule, build_norm_layer
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmseginst.registry import MODELS

ERFNET_NORM = dict(type='BN', eps=1e-3, requires_grad=True)


class DownsamplerBlock(nn.Module):
    """3x3 stride-2 conv (out - in channels) || 2x2 max-pool, BN, ReLU.

    (B, C_in, H, W) -> (B, C_out, H/2, W/2); H and W must be even.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 norm_cfg: dict = ERFNET_NORM):
        super().__init__()
        if out_channels <= in_channels:
            raise ValueError(f'DownsamplerBlock: out_channels '
                             f'({out_channels}) must exceed in_channels '
                             f'({in_channels})')
        self.conv = nn.Conv2d(in_channels, out_channels - in_channels, 3,
                              stride=2, padding=1, bias=True)
        self.pool = nn.MaxPool2d(2, stride=2)
        self.bn = build_norm_layer(norm_cfg, out_channels)[1]

    def forward(self, x: Tensor) -> Tensor:
        x = torch.cat([self.conv(x), self.pool(x)], 1)
        return F.relu(self.bn(x))


class NonBottleneck1d(nn.Module):
    """Factorised residual block: (3x1, ReLU, 1x3, BN, ReLU) then the same
    pair dilated by ``dilation``, BN, Dropout2d, + input, ReLU.

    (B, C, H, W) -> (B, C, H, W).
    """

    def __init__(self, channels: int, dropout: float, dilation: int,
                 norm_cfg: dict = ERFNET_NORM):
        super().__init__()
        d = dilation
        self.conv3x1_1 = nn.Conv2d(channels, channels, (3, 1),
                                   padding=(1, 0), bias=True)
        self.conv1x3_1 = nn.Conv2d(channels, channels, (1, 3),
                                   padding=(0, 1), bias=True)
        self.bn1 = build_norm_layer(norm_cfg, channels)[1]
        self.conv3x1_2 = nn.Conv2d(channels, channels, (3, 1),
                                   padding=(d, 0), dilation=(d, 1), bias=True)
        self.conv1x3_2 = nn.Conv2d(channels, channels, (1, 3),
                                   padding=(0, d), dilation=(1, d), bias=True)
        self.bn2 = build_norm_layer(norm_cfg, channels)[1]
        self.dropout = nn.Dropout2d(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.conv3x1_1(x))
        out = F.relu(self.bn1(self.conv1x3_1(out)))
        out = F.relu(self.conv3x1_2(out))
        out = self.dropout(self.bn2(self.conv1x3_2(out)))
        return F.relu(out + x)


class UpsamplerBlock(nn.Module):
    """3x3 stride-2 transposed conv, BN, ReLU: (B, C_in, H, W) ->
    (B, C_out, 2H, 2W)."""

    def __init__(self, in_channels: int, out_channels: int,
                 norm_cfg: dict = ERFNET_NORM):
        super().__init__()
        self.conv = nn.ConvTranspose2d(in_channels, out_channels, 3,
                                       stride=2, padding=1, output_padding=1,
                                       bias=True)
        self.bn = build_norm_layer(norm_cfg, out_channels)[1]

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(self.bn(self.conv(x)))


class ERFNetDecoder(nn.Module):
    """ERFNet decoder: x8 upsampling to ``out_channels`` maps.

    Args:
        in_channels (int): Channels of the input feature.
        out_channels (int): Output maps (no activation).
        channels (Sequence[int]): Widths after each upsampler (64, 16).
        num_blocks (int): non-bottleneck-1d blocks after each upsampler.
        norm_cfg (dict): Norm layer config (BN, eps 1e-3).
        in_stride (int): Stride of the input, 8 (ERFNet) or 4: at stride 4
            the first upsampler is a stride-1 3x3 conv + BN + ReLU of the
            same width, so the output is still at input resolution.

    Shapes: (B, in_channels, H/s, W/s) -> (B, out_channels, H, W).
    """

    def __init__(self, in_channels: int, out_channels: int,
                 channels: Sequence[int] = (64, 16), num_blocks: int = 2,
                 norm_cfg: dict = ERFNET_NORM, in_stride: int = 8):
        super().__init__()
        if in_stride not in (4, 8) or len(channels) != 2:
            raise ValueError(f'ERFNetDecoder: in_stride must be 4 or 8 and '
                             f'channels two widths, got in_stride='
                             f'{in_stride}, channels={tuple(channels)}')
        self.layers = nn.ModuleList()
        prev = in_channels
        for i, ch in enumerate(channels):
            if i == 0 and in_stride == 4:
                self.layers.append(ConvModule(prev, ch, 3, padding=1,
                                              norm_cfg=norm_cfg))
            else:
                self.layers.append(UpsamplerBlock(prev, ch, norm_cfg))
            for _ in range(num_blocks):
                self.layers.append(NonBottleneck1d(ch, 0.0, 1, norm_cfg))
            prev = ch
        self.output_conv = nn.ConvTranspose2d(prev, out_channels, 2,
                                              stride=2, bias=True)

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.layers:
            x = layer(x)
        return self.output_conv(x)


@MODELS.register_module()
class ERFNet(BaseModule):
    """ERFNet encoder as a backbone.

    Args:
        in_channels (int): Image channels.
        channels (Sequence[int]): Widths of the three downsamplers
            (16, 64, 128).
        num_stage2_blocks (int): non-bottleneck-1d blocks at stride 4 (5).
        stage2_dropout (float): Their dropout (0.03).
        stage3_dilations (Sequence[int]): Dilation of each block at stride 8
            (2, 4, 8, 16, 2, 4, 8, 16).
        stage3_dropout (float): Their dropout (0.3).
        out_indices (Sequence[int]): Which stages to return: 0 (stride 2,
            16 ch), 1 (stride 4, 64 ch), 2 (stride 8, 128 ch).
        norm_cfg (dict): Norm layer config (BN, eps 1e-3).
        init_cfg (dict, optional): Initialisation config; PyTorch's default
            initialisation when None (as in the original code).

    Shapes: (B, 3, H, W) with H, W multiples of 8 -> tuple of the selected
    (B, C_i, H / 2^(i+1), W / 2^(i+1)).
    """

    def __init__(self,
                 in_channels: int = 3,
                 channels: Sequence[int] = (16, 64, 128),
                 num_stage2_blocks: int = 5,
                 stage2_dropout: float = 0.03,
                 stage3_dilations: Sequence[int] = (2, 4, 8, 16, 2, 4, 8,
                                                    16),
                 stage3_dropout: float = 0.3,
                 out_indices: Sequence[int] = (2, ),
                 norm_cfg: dict = ERFNET_NORM,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if len(channels) != 3:
            raise ValueError(f'ERFNet: channels must have 3 entries, got '
                             f'{channels}')
        if not set(out_indices) <= {0, 1, 2}:
            raise ValueError(f'ERFNet: out_indices {out_indices} must be '
                             'in {0, 1, 2}')
        self.out_indices = tuple(out_indices)
        c1, c2, c3 = channels
        self.initial_block = DownsamplerBlock(in_channels, c1, norm_cfg)
        self.layers = nn.ModuleList([DownsamplerBlock(c1, c2, norm_cfg)])
        for _ in range(num_stage2_blocks):
            self.layers.append(
                NonBottleneck1d(c2, stage2_dropout, 1, norm_cfg))
        self.layers.append(DownsamplerBlock(c2, c3, norm_cfg))
        for d in stage3_dilations:
            self.layers.append(NonBottleneck1d(c3, stage3_dropout, d,
                                               norm_cfg))
        # index in self.layers after which stage 1 (stride 4) ends
        self._stage2_end = num_stage2_blocks
        self.out_channels = [channels[i] for i in self.out_indices]

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        h, w = x.shape[-2:]
        if h % 8 or w % 8:
            raise ValueError(
                f'ERFNet needs inputs whose height and width are multiples '
                f'of 8, got {h}x{w}: set pad_size_divisor=8 (or a multiple) '
                'in the data_preprocessor')
        outs = []
        x = self.initial_block(x)
        if 0 in self.out_indices:
            outs.append(x)
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i == self._stage2_end and 1 in self.out_indices:
                outs.append(x)
        if 2 in self.out_indices:
            outs.append(x)
        return tuple(outs)
