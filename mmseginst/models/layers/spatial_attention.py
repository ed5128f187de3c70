"""Spatial attention module (SAM) of CenterMask's SAG-Mask branch."""
import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from ...registry import MODELS


@MODELS.register_module()
class SpatialAttention(BaseModule):
    """Spatial attention module (SAM), Eq. (3)-(4) of CenterMask.

    The channel-wise mean and max of ``x`` (two ``(N, 1, H, W)`` maps) are
    concatenated, a ``k x k`` conv without bias maps them to one channel and
    its sigmoid gates every channel of ``x``:

        A = sigmoid(conv([mean_c(x), max_c(x)]))        (N, 1, H, W)
        out = x * A                                       (N, C, H, W)

    Args:
        kernel_size (int): Conv kernel size, 3 in CenterMask. Defaults to 3.
        init_cfg (dict): Defaults to Kaiming normal (fan_out, relu), as
            detectron2's ``c2_msra_fill`` in the official code.
    """

    def __init__(self,
                 kernel_size: int = 3,
                 init_cfg: dict = dict(
                     type='Kaiming', layer='Conv2d', mode='fan_out',
                     nonlinearity='relu', distribution='normal')) -> None:
        super().__init__(init_cfg=init_cfg)
        if kernel_size % 2 != 1:
            raise ValueError('SpatialAttention kernel_size must be odd, got '
                             f'{kernel_size}')
        self.conv = nn.Conv2d(
            2, 1, kernel_size, padding=kernel_size // 2, bias=False)

    def attention(self, x: Tensor) -> Tensor:
        """The attention map ``A`` of shape ``(N, 1, H, W)`` in (0, 1)."""
        pooled = torch.cat(
            [x.mean(dim=1, keepdim=True),
             x.amax(dim=1, keepdim=True)], dim=1)
        return self.conv(pooled).sigmoid()

    def forward(self, x: Tensor) -> Tensor:
        return x * self.attention(x)
