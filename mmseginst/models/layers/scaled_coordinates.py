"""Spatial embedding channels of EmbedMask (2021 version).

EmbedMask places pixels and proposals in one embedding space whose first two
channels are "spatial": ``scale * (x, y) / coord_divisor`` of the location is
added to them, with a single learnable ``scale`` for both sides (official
``position_scale``), so that the distance between a pixel and a proposal
grows with their distance in the image. The coupling of the two sides is
where the scale matters, so the module is held by the head that couples
them (:class:`EmbedMaskPixelHead`), which adds it to its pixel embeddings
and to the proposal embeddings it receives.
"""
import torch
from torch import Tensor, nn


class ScaledCoordinates(nn.Module):
    """Adds ``scale * (x, y) / coord_divisor`` to two embedding channels.

    Args:
        coord_divisor (float): divisor of the pixel coordinates (100).
        init_scale (float): initial learnable scale (1).
    """

    def __init__(self, coord_divisor: float = 100.,
                 init_scale: float = 1.0) -> None:
        super().__init__()
        self.coord_divisor = coord_divisor
        # the name of mmcv's Scale parameter: checkpoints keep their key
        self.scale = nn.Parameter(torch.tensor(init_scale))

    def forward(self, embeds: Tensor, points: Tensor) -> Tensor:
        """(N, D) embeddings at (N, 2) pixel locations (x, y) -> (N, D) with
        the scaled coordinates added to channels 0 and 1."""
        coords = points.to(embeds.dtype) * self.scale
        return torch.cat(
            [embeds[:, :2] + coords / self.coord_divisor, embeds[:, 2:]], 1)
