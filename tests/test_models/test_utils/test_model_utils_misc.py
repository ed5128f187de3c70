"""models/utils/misc.py: conv1x1_at and group_mean against plain
restatements."""
import torch
from torch import nn

from mmseginst.models.utils import conv1x1_at, group_mean


def test_conv1x1_at_equals_the_dense_conv_at_the_cells():
    torch.manual_seed(0)
    conv = nn.Conv2d(5, 7, 1)
    x = torch.randn(2, 5, 4, 6)
    dense = conv(x)
    cells = [(0, 1, 2), (1, 3, 5), (1, 0, 0)]  # (image, y, x)
    feats = torch.stack([x[b, :, i, j] for b, i, j in cells])
    torch.testing.assert_close(
        conv1x1_at(conv, feats),
        torch.stack([dense[b, :, i, j] for b, i, j in cells]))
    # any leading shape
    assert conv1x1_at(conv, torch.randn(3, 2, 5)).shape == (3, 2, 7)


def test_group_mean_hand_checked():
    values = torch.tensor([[1., 2.], [3., 4.], [5., 6.]])
    mean, counts = group_mean(values, torch.tensor([1, 1, 0]), 3)
    assert mean.tolist() == [[5., 6.], [2., 3.], [0., 0.]]
    assert counts.tolist() == [1, 2, 0]


def test_group_mean_random_against_loops():
    torch.manual_seed(1)
    values = torch.randn(11, 3, dtype=torch.float64)
    groups = torch.randint(0, 5, (11, ))
    mean, counts = group_mean(values, groups, 6)
    for g in range(6):
        rows = [values[i] for i in range(11) if groups[i] == g]
        assert counts[g].item() == len(rows)
        expected = sum(rows) / len(rows) if rows else torch.zeros(3)
        torch.testing.assert_close(mean[g], expected.double())
