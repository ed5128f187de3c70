"""Boundary-aware refinement (BAR) loss of RefineMask (Zhang et al., CVPR
2021, Sec. 3.4, Eq. 4-5).

The first stages (14x14 and 28x28 by default) are trained with plain
per-pixel BCE on the whole RoI. A later stage k is trained only inside

    R^k = up(B(G^{k-1}, d) OR B(P^{k-1}, d))                         (Eq. 4)

where B is the boundary band (:func:`boundary_band`, d = 2), G^{k-1} the
ground truth, ``up`` bilinear x2 upsampling thresholded at 0.5, and P^{k-1}
the binarised prediction of the previous stage as the official
``BARCrossEntropyLoss`` builds it: the raw logits of the last full-BCE stage,
then, after each refined stage k, the raw logits of stage k inside the
upsampled width-1 band of P^{k-1} and the upsampled *raw* logits of stage
k-1 elsewhere (at inference Eq. 6 composes the already-composed logits
instead; the two agree up to the third refined stage). The loss of a refined
stage is the BCE summed over R^k of all RoIs divided by |R^k| (Eq. 5). The
total is sum_k w_k L^k.
"""
from typing import List, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...registry import MODELS
from ..layers.boundary_band import boundary_band, upsample_region


def bar_loss(stage_logits: Sequence[Tensor],
             stage_targets: Sequence[Tensor],
             boundary_width: int = 2,
             start_stage: int = 1,
             compose_width: int = 1) -> List[Tensor]:
    """Per-stage (unweighted) losses L^k of boundary-aware refinement.

    Args:
        stage_logits (Sequence[Tensor]): Logits of each stage for the class
            of each RoI, shapes (N, 1, S_k, S_k) or (N, S_k, S_k), with
            S_k = 2 S_{k-1}.
        stage_targets (Sequence[Tensor]): Binary targets (N, S_k, S_k).
        boundary_width (int): d of the bands that define R^k. Defaults to 2.
        start_stage (int): Stages 0 .. ``start_stage`` get full BCE; later
            ones are boundary-aware. Defaults to 1 (14 and 28 full).
        compose_width (int): Band width of the composition that builds
            P^{k-1} (:func:`next_stage_prediction`). Defaults to 1, as at
            inference.

    Returns:
        list[Tensor]: One scalar per stage.
    """
    if len(stage_logits) != len(stage_targets):
        raise ValueError(
            f'bar_loss: {len(stage_logits)} stage logits but '
            f'{len(stage_targets)} stage targets')
    if not 0 <= start_stage < len(stage_logits):
        raise ValueError(f'bar_loss: start_stage={start_stage} must index '
                         f'one of the {len(stage_logits)} stages')
    logits = [x[:, 0] if x.dim() == 4 else x for x in stage_logits]
    targets = [t.to(x.dtype) for t, x in zip(stage_targets, logits)]
    for k, (x, t) in enumerate(zip(logits, targets)):
        if x.shape != t.shape:
            raise ValueError(f'bar_loss: stage {k} logits {tuple(x.shape)} '
                             f'and targets {tuple(t.shape)} differ')
    if logits[0].shape[0] == 0:  # no positive RoI: a zero in the graph
        return [x.sum() * 0 for x in logits]

    losses = []
    for k, (x, t) in enumerate(zip(logits, targets)):
        if k <= start_stage:
            losses.append(F.binary_cross_entropy_with_logits(x, t))
            prev_pred = x.detach().sigmoid() >= 0.5
            continue
        region = boundary_band(prev_pred, boundary_width) | boundary_band(
            targets[k - 1], boundary_width)
        region = upsample_region(region, x.shape[-1])
        per_pixel = F.binary_cross_entropy_with_logits(
            x, t, reduction='none')
        losses.append((per_pixel * region).sum() /
                      region.sum().clamp(min=1).to(x.dtype))
        prev_pred = next_stage_prediction(prev_pred, logits[k - 1], x,
                                          compose_width)
    return losses


def next_stage_prediction(prev_pred: Tensor, prev_logits: Tensor,
                          logits: Tensor, compose_width: int = 1) -> Tensor:
    """P^k from P^{k-1} as the official training loss builds it: stage k's
    logits inside the upsampled width-``compose_width`` band of P^{k-1}, the
    upsampled raw logits of stage k-1 elsewhere, binarised at 0.5.

    Args:
        prev_pred (Tensor): (N, S, S) bool P^{k-1}.
        prev_logits (Tensor): (N, S, S) raw logits of stage k-1.
        logits (Tensor): (N, 2S, 2S) raw logits of stage k.
        compose_width (int): Band width (1, as at inference).

    Returns:
        Tensor: (N, 2S, 2S) bool P^k (no gradient).
    """
    size = logits.shape[-1]
    inside = upsample_region(boundary_band(prev_pred, compose_width), size)
    prev_up = F.interpolate(
        prev_logits.detach()[:, None], (size, size), mode='bilinear',
        align_corners=True)[:, 0]
    return torch.where(inside, logits.detach(), prev_up).sigmoid() >= 0.5


@MODELS.register_module()
class BoundaryAwareRefinementLoss(nn.Module):
    """BAR loss over all stages of a RefineMask head.

    Args:
        stage_weights (Sequence[float]): w_k of each stage. Defaults to
            (0.25, 0.5, 0.75, 1.0) (RefineMask; the 'faster-better' variant
            uses (0.5, 0.75, 0.75, 1.0)).
        boundary_width (int): d of R^k. Defaults to 2.
        start_stage (int): Last stage with full BCE. Defaults to 1.
        compose_width (int): Band width used to compose P^{k-1}. Defaults
            to 1.
        loss_weight (float): Multiplies the total. Defaults to 1.0.
    """

    def __init__(self,
                 stage_weights: Sequence[float] = (0.25, 0.5, 0.75, 1.0),
                 boundary_width: int = 2,
                 start_stage: int = 1,
                 compose_width: int = 1,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        self.stage_weights = tuple(float(w) for w in stage_weights)
        self.boundary_width = boundary_width
        self.start_stage = start_stage
        self.compose_width = compose_width
        self.loss_weight = loss_weight

    def forward(self, stage_logits: Sequence[Tensor],
                stage_targets: Sequence[Tensor]) -> Tensor:
        """Weighted total loss; see :func:`bar_loss` for the arguments."""
        if len(stage_logits) != len(self.stage_weights):
            raise ValueError(
                f'BoundaryAwareRefinementLoss has {len(self.stage_weights)} '
                f'stage_weights but got {len(stage_logits)} stages')
        losses = bar_loss(stage_logits, stage_targets, self.boundary_width,
                          self.start_stage, self.compose_width)
        total = sum(w * loss for w, loss in zip(self.stage_weights, losses))
        return self.loss_weight * total


__all__ = ['bar_loss', 'BoundaryAwareRefinementLoss']
