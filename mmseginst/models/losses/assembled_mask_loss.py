"""Mask loss of CenterMask (Wang et al., CVPR 2020, Eq. 2).

``L_mask = 1/N * sum_k BCE(M_k, T_k)`` with ``M_k = sigmoid(L_k) *
sigmoid(G_k)``: binary cross-entropy on the *product* of two sigmoids, the
Local Shape ``L_k`` and the cropped Global Saliency ``G_k``, averaged over the
pixels of each instance's box and then over the instances.

The product is a probability, not a logit, so ``BCEWithLogits`` does not
apply; both log-terms are computed from the logits without forming ``M``::

    log M       = logsigmoid(a) + logsigmoid(b)
    log (1 - M) = logsumexp(-a, -b, -a-b) + logsigmoid(a) + logsigmoid(b)

(the second from ``1 - s(a)s(b) = (e^-a + e^-b + e^-a-b) s(a) s(b)``), which
stays finite for any logits. With one factor only (the shape-only and
saliency-only ablations) it reduces to the usual BCE on that logit.
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.models.losses.utils import weight_reduce_loss
from torch import Tensor

from ...registry import MODELS


def assembled_mask_loss(shape_logits: Optional[Tensor],
                        saliency_logits: Optional[Tensor], target: Tensor,
                        valid: Optional[Tensor] = None) -> Tensor:
    """Per-instance BCE of ``sigmoid(a) * sigmoid(b)`` against ``target``.

    Args:
        shape_logits (Tensor, optional): (N, H, W) Local Shape logits ``a``.
        saliency_logits (Tensor, optional): (N, H, W) cropped saliency
            logits ``b``. At least one of the two is given.
        target (Tensor): (N, H, W) targets in [0, 1] (soft targets allowed).
        valid (Tensor, optional): (N, H, W) bool, the pixels that belong to
            each instance's box; all pixels when None.

    Returns:
        Tensor: (N, ) mean BCE over each instance's valid pixels.
    """
    logits = [x for x in (shape_logits, saliency_logits) if x is not None]
    if not logits:
        raise ValueError('assembled_mask_loss needs at least one logit map')
    log_p = sum(F.logsigmoid(x) for x in logits)
    if len(logits) == 1:
        log_1mp = F.logsigmoid(-logits[0])
    else:
        a, b = logits
        log_1mp = torch.logsumexp(torch.stack([-a, -b, -a - b]), dim=0) \
            + log_p
    bce = -(target * log_p + (1 - target) * log_1mp)
    if valid is None:
        return bce.flatten(1).mean(1)
    valid = valid.to(bce.dtype)
    return (bce * valid).flatten(1).sum(1) / \
        valid.flatten(1).sum(1).clamp(min=1)


@MODELS.register_module()
class AssembledMaskLoss(nn.Module):
    """Eq. 2 of CenterMask as a loss module.

    Args:
        reduction (str): 'mean' (over instances, Eq. 2), 'sum' or 'none'.
        loss_weight (float): lambda_mask of Eq. 6. Defaults to 1.0.
    """

    def __init__(self, reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if reduction not in ('none', 'mean', 'sum'):
            raise ValueError(f'reduction must be none, mean or sum, got '
                             f'{reduction!r}')
        self.reduction = reduction
        self.loss_weight = loss_weight

    def forward(self,
                shape_logits: Optional[Tensor],
                saliency_logits: Optional[Tensor],
                target: Tensor,
                valid: Optional[Tensor] = None,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None) -> Tensor:
        """Args as :func:`assembled_mask_loss`; ``weight`` (N,) per instance,
        ``avg_factor`` replaces N in the mean."""
        loss = assembled_mask_loss(shape_logits, saliency_logits, target,
                                   valid)
        return self.loss_weight * weight_reduce_loss(
            loss, weight, self.reduction, avg_factor)
