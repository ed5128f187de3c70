"""Small tensor operations shared by several heads and losses."""
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def conv1x1_at(conv: nn.Conv2d, feats: Tensor) -> Tensor:
    """A 1x1 conv applied to gathered feature vectors.

    Args:
        conv (nn.Conv2d): 1x1 conv from C to D channels.
        feats (Tensor): (..., C) the feature vectors of some cells.

    Returns:
        Tensor: (..., D), equal to ``conv(x)`` at those cells.
    """
    return F.linear(feats, conv.weight.flatten(1), conv.bias)


def group_mean(values: Tensor, group_inds: Tensor,
               num_groups: int) -> Tuple[Tensor, Tensor]:
    """Mean of the rows of ``values`` that share a group index.

    Args:
        values (Tensor): (M, C) rows.
        group_inds (Tensor): (M,) group of each row, in [0, num_groups).
        num_groups (int): G.

    Returns:
        tuple[Tensor, Tensor]: (G, C) means (zero for empty groups) and
        (G,) row counts.
    """
    counts = torch.bincount(group_inds, minlength=num_groups)
    sums = values.new_zeros((num_groups, values.shape[1]))
    sums = sums.index_add(0, group_inds, values)
    return sums / counts.clamp(min=1)[:, None].to(values.dtype), counts
