"""BAR loss against its definition written as a plain per-RoI loop (Eq. 4-6
of RefineMask), on hand-checkable cases and random inputs."""
import itertools
import math

import numpy as np
import pytest
import torch

from mmseginst.models.losses.boundary_aware_refinement_loss import (
    BoundaryAwareRefinementLoss, bar_loss)


def band_plain(mask, d):
    """> 10 % of the (2d+1)^2 window has the other label (outside = bg)."""
    h, w = mask.shape
    out = np.zeros((h, w), bool)
    for y, x in itertools.product(range(h), range(w)):
        other = 0
        for dy, dx in itertools.product(range(-d, d + 1), repeat=2):
            yy, xx = y + dy, x + dx
            v = mask[yy, xx] if 0 <= yy < h and 0 <= xx < w else False
            other += bool(v) != bool(mask[y, x])
        out[y, x] = other > 0.1 * (2 * d + 1)**2
    return out


def upsample_plain(a, size):
    """Bilinear resize with aligned corners, written out."""
    h = a.shape[0]
    out = np.zeros((size, size))
    for i, j in itertools.product(range(size), repeat=2):
        y, x = i * (h - 1) / (size - 1), j * (h - 1) / (size - 1)
        y0, x0 = min(int(y), h - 2), min(int(x), h - 2)
        fy, fx = y - y0, x - x0
        out[i, j] = (a[y0, x0] * (1 - fy) * (1 - fx) +
                     a[y0, x0 + 1] * (1 - fy) * fx +
                     a[y0 + 1, x0] * fy * (1 - fx) +
                     a[y0 + 1, x0 + 1] * fy * fx)
    return out


def bce(x, t):
    return max(x, 0) - x * t + math.log1p(math.exp(-abs(x)))


def bar_plain(logits, targets, weights, d=2, start=1):
    """Loop over RoIs, restating the official ``BARCrossEntropyLoss``
    (zhanggang001/RefineMask): P^{k-1} starts as the binarised raw logits of
    stage ``start``; after each refined stage k it becomes stage k's raw
    logits inside the upsampled width-1 band of P^{k-1} and the upsampled
    raw logits of stage k-1 elsewhere, binarised."""
    n_rois = logits[0].shape[0]
    total = 0.0
    prev = [None] * n_rois  # P^{k-1} of every RoI
    for k, (x, t) in enumerate(zip(logits, targets)):
        size = x.shape[-1]
        if k <= start:
            loss = np.mean([bce(a, b) for a, b in zip(x.ravel(), t.ravel())])
            prev = [x[n] >= 0 for n in range(n_rois)]  # sigmoid >= 0.5
            total += weights[k] * loss
            continue
        num, den = 0.0, 0
        new_prev = []
        for n in range(n_rois):
            region = band_plain(prev[n], d) | band_plain(
                targets[k - 1][n] > .5, d)
            region = upsample_plain(region.astype(float), size) >= 0.5
            for i, j in zip(*np.nonzero(region)):
                num += bce(x[n, i, j], t[n, i, j])
            den += region.sum()
            inside = upsample_plain(
                band_plain(prev[n], 1).astype(float), size) >= 0.5
            raw_prev_up = upsample_plain(logits[k - 1][n], size)
            new_prev.append(np.where(inside, x[n], raw_prev_up) >= 0)
        prev = new_prev
        total += weights[k] * num / max(den, 1)
    return total


def random_stage_inputs(seed, n=3, sizes=(4, 8, 16, 32)):
    g = torch.Generator().manual_seed(seed)
    # targets: random rectangles resized to every stage size
    logits, targets = [], []
    boxes = torch.rand(n, 4, generator=g)
    for s in sizes:
        yy, xx = torch.meshgrid(torch.arange(s) + 0.5, torch.arange(s) + 0.5,
                                indexing='ij')
        t = torch.stack([((xx / s > b[0] * .5) & (xx / s < .5 + b[1] * .5) &
                          (yy / s > b[2] * .5) & (yy / s < .5 + b[3] * .5))
                         for b in boxes]).float()
        targets.append(t)
        noise = torch.randn(n, 1, s, s, generator=g) * 2
        logits.append((t[:, None] * 2 - 1) * 2 + noise)
    return logits, targets


def test_hand_checked_values():
    sizes = (4, 8, 16, 32)
    loss = BoundaryAwareRefinementLoss()
    # logits 0 everywhere: every pixel costs ln 2 whatever the region
    zeros = [torch.zeros(2, 1, s, s) for s in sizes]
    targets = [torch.zeros(2, s, s) for s in sizes]
    targets = [t.index_fill(1, torch.tensor([0]), 1.) for t in targets]
    assert loss(zeros, targets).item() == pytest.approx(2.5 * math.log(2))
    # confident empty prediction and empty target: no boundary anywhere, the
    # refined stages cost 0 (normalised by max(|R|, 1))
    neg = [torch.full((2, 1, s, s), -30.) for s in sizes]
    empty = [torch.zeros(2, s, s) for s in sizes]
    stages = bar_loss(neg, empty)
    assert stages[0].item() == pytest.approx(0, abs=1e-12)
    assert stages[2].item() == 0 and stages[3].item() == 0
    # errors outside R^k cost nothing: the 8x8 target has its top row as
    # foreground, its d=2 band is rows 0-2, i.e. rows 0-5 of the 16x16 stage
    # once upsampled; the prediction is empty (no band of its own)
    t = [torch.zeros(1, s, s) for s in sizes]
    t[1][0, 0] = 1
    x = [torch.full((1, 1, s, s), -30.) for s in sizes]
    x[2][0, 0, 7:] = 30.  # wrong, but outside R^2
    assert bar_loss(x, t)[2].item() == pytest.approx(0, abs=1e-9)


@pytest.mark.parametrize('sizes,start', [((4, 8, 16, 32), 1),
                                         ((4, 8, 16, 32, 64), 1),
                                         ((4, 8, 16, 32), 0)])
def test_random_against_plain_loop(sizes, start):
    """The official configuration (4 stages, start 1) and the ones where
    P^{k-1} built from raw logits differs from the inference composition
    (5 stages, or refinement from stage 1 on)."""
    weights = (0.25, 0.5, 0.75, 1.0, 1.0)[:len(sizes)]
    for seed in range(2):
        logits, targets = random_stage_inputs(seed, sizes=sizes)
        fast = BoundaryAwareRefinementLoss(
            stage_weights=weights, start_stage=start)(logits, targets)
        ref = bar_plain([x[:, 0].double().numpy() for x in logits],
                        [t.double().numpy() for t in targets], weights,
                        start=start)
        assert fast.item() == pytest.approx(ref, rel=1e-5)


def test_gradient_only_inside_region_and_no_roi():
    logits, targets = random_stage_inputs(4)
    logits = [x.requires_grad_() for x in logits]
    loss = BoundaryAwareRefinementLoss()(logits, targets)
    loss.backward()
    assert all(x.grad is not None for x in logits)
    # full BCE on stage 1, BCE inside the boundary region only on stage 3
    assert (logits[1].grad != 0).float().mean() > 0.9
    assert (logits[3].grad == 0).float().mean() > 0.3
    assert (logits[3].grad != 0).any()
    empty = [torch.zeros(0, 1, s, s, requires_grad=True)
             for s in (4, 8, 16, 32)]
    out = BoundaryAwareRefinementLoss()(empty,
                                        [torch.zeros(0, s, s)
                                         for s in (4, 8, 16, 32)])
    assert out.item() == 0
    out.backward()


def test_bad_input():
    logits, targets = random_stage_inputs(0)
    with pytest.raises(ValueError, match='stage_weights'):
        BoundaryAwareRefinementLoss(stage_weights=(1., 1.))(logits, targets)
    with pytest.raises(ValueError, match='stage targets'):
        bar_loss(logits, targets[:3])
    with pytest.raises(ValueError, match='differ'):
        bar_loss(logits, targets[::-1])
