"""Pixel coordinate map of SpatialEmbeddings for any input size.

SpatialEmbeddings adds the predicted offsets to the coordinate of every pixel
(e_i = x_i + o_i). The original code keeps one fixed 2048x1024 buffer with x
spanning [0, 2] and y spanning [0, 1] (``linspace``), and a crop of size
h x w reads the top-left block ``[:h, :w]``, so coordinates are relative to
the crop and bounded to 2048x1024 inputs.

:func:`coordinate_map` computes the same values for any size: pixel (r, c)
has coordinates ``(c * pitch_x, r * pitch_y)``. The default pitch,
``(2 / 2047, 1 / 1023)``, is exactly the step of that buffer, so a model
trained with the original code sees the same coordinates. Because tanh
bounds offsets to (-1, 1), a pitch of about 1/1023 lets a pixel point to a
center at most ~1023 pixels away.
"""
from typing import Sequence, Tuple, Union

import torch
from torch import Tensor

# step of linspace(0, 2, 2048) and linspace(0, 1, 1024) of the original code
DEFAULT_PIXEL_PITCH = (2.0 / 2047, 1.0 / 1023)


def parse_pixel_pitch(
        pitch: Union[float, Sequence[float]]) -> Tuple[float, float]:
    """``pitch`` as an (x, y) pair of positive floats; a scalar is
    isotropic."""
    if isinstance(pitch, (int, float)):
        pitch = (float(pitch), float(pitch))
    pitch = tuple(float(p) for p in pitch)
    if len(pitch) != 2 or not all(p > 0 for p in pitch):
        raise ValueError(f'pixel_pitch must be a positive number or an '
                         f'(x, y) pair of positive numbers, got {pitch}')
    return pitch


def coordinate_map(height: int,
                   width: int,
                   pixel_pitch: Union[float, Sequence[float]] = (
                       DEFAULT_PIXEL_PITCH),
                   device: Union[str, torch.device] = 'cpu',
                   dtype: torch.dtype = torch.float32) -> Tensor:
    """Coordinates of the pixels of an ``height x width`` map.

    Args:
        height (int): Rows.
        width (int): Columns.
        pixel_pitch (float | tuple[float, float]): Distance between two
            neighbouring pixels along x and y (coordinate units per pixel).
        device, dtype: Of the result.

    Returns:
        Tensor: (2, height, width); channel 0 is x (column), channel 1 is y
        (row), both 0 at the top-left pixel.
    """
    px, py = parse_pixel_pitch(pixel_pitch)
    # computed in float64 then cast, like the float32 linspace of the
    # original buffer (no accumulated rounding)
    xs = torch.arange(width, dtype=torch.float64) * px
    ys = torch.arange(height, dtype=torch.float64) * py
    xm = xs.view(1, -1).expand(height, width)
    ym = ys.view(-1, 1).expand(height, width)
    return torch.stack([xm, ym]).to(device=device, dtype=dtype)
