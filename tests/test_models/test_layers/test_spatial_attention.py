"""SAM of SAG-Mask: sigmoid(conv([mean_c, max_c])) gating every channel."""
import math

import pytest
import torch

from mmseginst.models.layers import SpatialAttention


def plain_sam(x, weight):
    """The definition with loops: zero-padded k x k conv (no bias) over the
    channel-mean and channel-max maps, sigmoid, product."""
    n, c, h, w = x.shape
    k = weight.shape[-1]
    r = k // 2
    out = torch.empty_like(x)
    for b in range(n):
        maps = [x[b].mean(0), x[b].max(0).values]
        for i in range(h):
            for j in range(w):
                s = 0.0
                for m in range(2):
                    for di in range(k):
                        for dj in range(k):
                            ii, jj = i + di - r, j + dj - r
                            if 0 <= ii < h and 0 <= jj < w:
                                s += weight[0, m, di, dj].item() * \
                                    maps[m][ii, jj].item()
                gate = 1 / (1 + math.exp(-s))
                out[b, :, i, j] = x[b, :, i, j] * gate
    return out


def test_hand_checked_values():
    sam = SpatialAttention()
    assert sam.conv.bias is None and sam.conv.weight.shape == (1, 2, 3, 3)
    with torch.no_grad():
        sam.conv.weight.zero_()
        sam.conv.weight[0, 0, 1, 1] = 1.0  # mean
        sam.conv.weight[0, 1, 1, 1] = 2.0  # max
    x = torch.tensor([[[[1., -1.]], [[3., -2.]]]])  # (1, 2, 1, 2)
    # pixel 0: mean 2, max 3 -> sigmoid(8); pixel 1: -1.5, -1 -> sigmoid(-3.5)
    gate = torch.tensor([1 / (1 + math.exp(-8)), 1 / (1 + math.exp(3.5))])
    assert torch.allclose(sam(x), x * gate.view(1, 1, 1, 2))
    assert torch.allclose(sam.attention(x).flatten(), gate)


@pytest.mark.parametrize('kernel_size', [3, 5])
def test_random_inputs_match_definition(kernel_size):
    torch.manual_seed(0)
    sam = SpatialAttention(kernel_size)
    sam.init_weights()
    x = torch.randn(2, 5, 4, 6)
    assert torch.allclose(sam(x), plain_sam(x, sam.conv.weight), atol=1e-5)


def test_empty_and_gradients():
    sam = SpatialAttention()
    x = torch.randn(0, 8, 14, 14, requires_grad=True)
    y = sam(x)
    assert y.shape == x.shape
    y.sum().backward()
    assert sam.conv.weight.grad is not None  # stays in the graph
    with pytest.raises(ValueError, match='odd'):
        SpatialAttention(4)
