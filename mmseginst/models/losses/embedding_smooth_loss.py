"""Smooth loss of EmbedMask arXiv v1 (Ying et al., arXiv 1912.01954, Eq. 7).

During training the mask loss couples pixels with the *mean* embedding and
margin of the proposals sampled for a ground-truth instance, while at test
time each detection uses its own. The smooth loss pulls every sampled
proposal towards that mean so the two agree::

    L_smooth(k) = sum_{i in S_k} ||e_i - mean_S_k(e)||^2
                                + ||sigma_i - mean_S_k(sigma)||^2

The current (2021) version samples one proposal per instance and drops it.
"""
from typing import Optional

from mmdet.models.losses.utils import weight_reduce_loss
from torch import Tensor, nn

from ...registry import MODELS
from ..utils import group_mean


def embedding_smooth_loss(embeds: Tensor, margins: Tensor, group_inds: Tensor,
                          num_groups: int) -> Tensor:
    """Per-instance smooth loss.

    Args:
        embeds (Tensor): (M, D) embeddings of the sampled proposals.
        margins (Tensor): (M, Dm) their margins (Dm = 1 or D).
        group_inds (Tensor): (M,) instance of each proposal.
        num_groups (int): number of instances G.

    Returns:
        Tensor: (G,) sum over each instance's proposals of the squared
        deviations from the instance means (0 for instances without one).
    """
    if embeds.shape[0] != margins.shape[0] or \
            embeds.shape[0] != group_inds.shape[0]:
        raise ValueError('embeds, margins and group_inds must have the same '
                         f'number of rows, got {embeds.shape[0]}, '
                         f'{margins.shape[0]} and {group_inds.shape[0]}')
    mean_e, _ = group_mean(embeds, group_inds, num_groups)
    mean_m, _ = group_mean(margins, group_inds, num_groups)
    dev = (embeds - mean_e[group_inds]).square().sum(1) + \
        (margins - mean_m[group_inds]).square().sum(1)
    return dev.new_zeros(num_groups).index_add(0, group_inds, dev)


@MODELS.register_module()
class EmbeddingSmoothLoss(nn.Module):
    """Registered :func:`embedding_smooth_loss`.

    Args:
        reduction (str): 'none', 'mean' or 'sum' over instances.
        loss_weight (float): Multiplier (0.1 in arXiv v1).
    """

    def __init__(self, reduction: str = 'mean', loss_weight: float = 0.1):
        super().__init__()
        self.reduction = reduction
        self.loss_weight = loss_weight

    def forward(self,
                embeds: Tensor,
                margins: Tensor,
                group_inds: Tensor,
                num_groups: int,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        """
        Args:
            embeds, margins, group_inds, num_groups: see
                :func:`embedding_smooth_loss`.
            weight (Tensor, optional): (G,) per-instance weights.
            avg_factor (float, optional): Divisor of the 'mean' reduction.
        """
        reduction = reduction_override or self.reduction
        loss = embedding_smooth_loss(embeds, margins, group_inds, num_groups)
        if loss.numel() == 0:
            return embeds.sum() * 0 + margins.sum() * 0
        loss = weight_reduce_loss(loss, weight, reduction, avg_factor)
        return self.loss_weight * loss
