"""Lovász hinge loss (Berman et al., CVPR 2018), batched over instances.

The Lovász hinge is the Lovász extension of the Jaccard (IoU) loss applied to
the hinge errors ``1 - y * s`` of a binary segmentation, with scores ``s``
(logits) and labels ``y`` in {-1, +1}. For one instance with P pixels:

1. ``e_i = 1 - s_i * y_i``, sorted in decreasing order (permutation pi);
2. ``g = grad J(pi)`` where ``J_k = 1 - |I_k| / |U_k|`` is the Jaccard loss of
   predicting the first k sorted pixels as foreground;
3. ``loss = sum_i relu(e_pi(i)) * g_i`` (Eq. 9-10 of the paper).

:func:`lovasz_hinge` computes it for N instances at once, each a row of an
``(N, P)`` tensor, with an optional ``valid`` mask so that instances may use
different pixel sets (a padded box, the whole image ...) without a Python
loop. SpatialEmbeddings applies it to ``2 * phi - 1``; EmbedMask to
``log p - log(1 - p)``.
"""
from typing import Optional

import torch
from mmdet.models.losses.utils import weight_reduce_loss
from torch import Tensor, nn

from ...registry import MODELS


def lovasz_grad(gt_sorted: Tensor) -> Tensor:
    """Gradient of the Jaccard loss w.r.t. sorted errors.

    Args:
        gt_sorted (Tensor): (N, P) labels in {0, 1} sorted by decreasing
            error, per row.

    Returns:
        Tensor: (N, P) the increments ``J_k - J_{k-1}`` (``J_0 = 0``).
    """
    gts = gt_sorted.sum(dim=1, keepdim=True)
    intersection = gts - gt_sorted.cumsum(dim=1)
    union = gts + (1 - gt_sorted).cumsum(dim=1)
    jaccard = 1.0 - intersection / union
    return torch.cat([jaccard[:, :1], jaccard[:, 1:] - jaccard[:, :-1]], 1)


def lovasz_hinge(logits: Tensor,
                 labels: Tensor,
                 valid: Optional[Tensor] = None) -> Tensor:
    """Per-instance Lovász hinge.

    Args:
        logits (Tensor): (N, ...) scores, positive for foreground.
        labels (Tensor): (N, ...) binary targets (same shape).
        valid (Tensor, optional): (N, ...) bool, the pixels each instance
            uses; all pixels if None.

    Returns:
        Tensor: (N,) the loss of each instance. An instance with no valid
        pixel has loss 0 (and a gradient that keeps the graph).
    """
    if logits.shape != labels.shape:
        raise ValueError(f'logits {tuple(logits.shape)} and labels '
                         f'{tuple(labels.shape)} must have the same shape')
    n = logits.shape[0]
    if n == 0:
        return logits.sum() * 0 + logits.new_zeros((0, ))
    logits = logits.reshape(n, -1)
    labels = labels.reshape(n, -1).to(logits.dtype)
    errors = 1.0 - logits * (2.0 * labels - 1.0)
    if valid is not None:
        valid = valid.reshape(n, -1).bool()
        labels = labels * valid
        # Invalid pixels sort last and their relu(error) is 0, so they
        # change neither the cumulative sums of valid pixels nor the loss.
        errors = errors.masked_fill(~valid, -1.0)
    errors_sorted, perm = torch.sort(errors, dim=1, descending=True)
    gt_sorted = torch.gather(labels, 1, perm)
    grad = lovasz_grad(gt_sorted)
    return (torch.relu(errors_sorted) * grad).sum(dim=1)


@MODELS.register_module()
class LovaszHingeLoss(nn.Module):
    """Registered Lovász hinge: mean (or sum) of per-instance losses.

    Args:
        reduction (str): 'none', 'mean' or 'sum' over instances.
        loss_weight (float): Multiplier of the loss.
    """

    def __init__(self, reduction: str = 'mean', loss_weight: float = 1.0):
        super().__init__()
        self.reduction = reduction
        self.loss_weight = loss_weight

    def forward(self,
                logits: Tensor,
                labels: Tensor,
                valid: Optional[Tensor] = None,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        """
        Args:
            logits, labels, valid: see :func:`lovasz_hinge` ((N, ...)).
            weight (Tensor, optional): (N,) per-instance weights.
            avg_factor (float, optional): Divisor of the 'mean' reduction.
        """
        reduction = reduction_override or self.reduction
        loss = lovasz_hinge(logits, labels, valid)
        if loss.numel() == 0:
            return logits.sum() * 0
        loss = weight_reduce_loss(loss, weight, reduction, avg_factor)
        return self.loss_weight * loss
