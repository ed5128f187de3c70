"""Blocks of ERFNet (Romera et al., T-ITS 2018): used by the encoder
(:class:`~mmseginst.models.backbones.ERFNet`) and by the decoders of
SpatialEmbeddings' BranchedERFNet
(:class:`~mmseginst.models.dense_heads.SpatialEmbeddingHead`).

* a *downsampler* concatenates a strided 3x3 convolution (``C_out - C_in``
  channels) with a 2x2 max-pool of its input (``C_in`` channels);
* the *non-bottleneck-1d* residual block: two pairs of factorised 3x1 / 1x3
  convolutions (the second pair dilated), BN after each pair, spatial
  dropout, identity shortcut;
* the *upsampler*: a 3x3 stride-2 transposed convolution, BN, ReLU;
* the decoder (x8 upsampling)::

    (B, C_in, H/8, W/8) -> up 64 -> 2 x nb1d(64) -> up 16 -> 2 x nb1d(16)
    -> ConvTranspose 2x2 s2 -> (B, C_out, H, W)

All BN layers use eps=1e-3 as in ERFNet. Module names (``layers``,
``conv3x1_1``, ``bn1``, ``output_conv`` ...) follow the original
implementation so that released weights map onto them one to one.
"""
from typing import Sequence

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule, build_norm_layer
from torch import Tensor, nn

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
