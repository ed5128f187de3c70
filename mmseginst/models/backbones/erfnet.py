"""ERFNet (Romera et al., T-ITS 2018): the encoder used as a backbone.

ERFNet is a real-time encoder-decoder built from downsamplers and
non-bottleneck-1d residual blocks (:mod:`mmseginst.models.layers.
erfnet_blocks`, which also holds the decoder used by SpatialEmbeddings'
BranchedERFNet).

Encoder (output stride 8)::

    (B, 3, H, W) -> down 16 -> down 64 -> 5 x nb1d(64, p=0.03, d=1)
    -> down 128 -> 2 x [nb1d(128, p=0.3, d) for d in 2, 4, 8, 16]
    -> (B, 128, H/8, W/8)

All BN layers use eps=1e-3 as in ERFNet. Module names (``initial_block``,
``layers`` ...) follow the module structure of the original implementation
so that released weights map onto them one to one (see
tools/model_converters/spatial_embeddings_to_mmseginst.py).
"""
from typing import Sequence, Tuple

from mmengine.model import BaseModule
from torch import Tensor, nn

from ...registry import MODELS
from ..layers.erfnet_blocks import (ERFNET_NORM, DownsamplerBlock,
                                    NonBottleneck1d)


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
