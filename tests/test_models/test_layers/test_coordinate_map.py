import pytest
import torch

from mmseginst.models.layers.coordinate_map import (DEFAULT_PIXEL_PITCH,
                                                    coordinate_map)


def test_matches_the_original_buffer_block():
    # the original code: x = linspace(0, 2, 2048), y = linspace(0, 1, 1024)
    # read as the top-left h x w block of a crop
    xs = torch.linspace(0, 2, 2048)[:300]
    ys = torch.linspace(0, 1, 1024)[:200]
    xym = coordinate_map(200, 300)
    assert xym.shape == (2, 200, 300)
    assert torch.allclose(xym[0], xs.expand(200, 300), atol=1e-6, rtol=0)
    assert torch.allclose(xym[1], ys[:, None].expand(200, 300), atol=1e-6,
                          rtol=0)
    assert DEFAULT_PIXEL_PITCH == (2 / 2047, 1 / 1023)


def test_any_size_and_pitch():
    xym = coordinate_map(3, 4, pixel_pitch=0.5, dtype=torch.float64)
    assert xym[0].tolist() == [[0.0, 0.5, 1.0, 1.5]] * 3
    assert xym[1].tolist() == [[0.0] * 4, [0.5] * 4, [1.0] * 4]
    # beyond the original 2048x1024 limit
    big = coordinate_map(1100, 2100)
    assert big[0, 0, -1].item() == pytest.approx(2099 * 2 / 2047)
    with pytest.raises(ValueError, match='pixel_pitch'):
        coordinate_map(2, 2, pixel_pitch=(1.0, -1.0))
