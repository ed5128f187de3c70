"""CenterMask's mask loss (Eq. 2): BCE on sigmoid(L) * sigmoid(G)."""
import math

import pytest
import torch
import torch.nn.functional as F

from mmseginst.models.losses.assembled_mask_loss import (AssembledMaskLoss,
                                                         assembled_mask_loss)


def plain_loss(a, b, t, valid):
    """Eq. 2 for one instance, written plainly: mean over its valid pixels
    of -(t log M + (1 - t) log(1 - M)), M = sigmoid(a) * sigmoid(b)."""
    total, count = 0.0, 0
    for ai, bi, ti, vi in zip(a.flatten().tolist(), b.flatten().tolist(),
                              t.flatten().tolist(), valid.flatten().tolist()):
        if not vi:
            continue
        m = 1 / (1 + math.exp(-ai)) / (1 + math.exp(-bi))
        total += -(ti * math.log(m) + (1 - ti) * math.log(1 - m))
        count += 1
    return total / max(count, 1)


def test_hand_checked_values():
    zeros = torch.zeros(1, 1, 2)
    # sigmoid(0)^2 = 1/4: -log(1/4) for a foreground pixel, -log(3/4) else
    target = torch.tensor([[[1.0, 0.0]]])
    loss = assembled_mask_loss(zeros, zeros, target)
    assert loss.item() == pytest.approx((math.log(4) + math.log(4 / 3)) / 2)
    # invalid pixels do not count
    valid = torch.tensor([[[True, False]]])
    loss = assembled_mask_loss(zeros, zeros, target, valid)
    assert loss.item() == pytest.approx(math.log(4))


def test_random_inputs_match_definition():
    torch.manual_seed(0)
    a, b = torch.randn(2, 3, 4, 5) * 3
    target = torch.rand(3, 4, 5)
    valid = torch.rand(3, 4, 5) > 0.3
    loss = assembled_mask_loss(a, b, target, valid)
    for k in range(3):
        assert loss[k].item() == pytest.approx(
            plain_loss(a[k], b[k], target[k], valid[k]), rel=1e-5)


def test_extreme_logits_stay_finite_and_correct():
    a = torch.tensor([[[60.0, -60.0, 60.0]]], requires_grad=True)
    b = torch.tensor([[[60.0, 5.0, -60.0]]], requires_grad=True)
    target = torch.tensor([[[1.0, 0.0, 0.0]]])
    loss = assembled_mask_loss(a, b, target)
    loss.sum().backward()
    assert torch.isfinite(loss).all() and torch.isfinite(a.grad).all()
    assert loss.item() == pytest.approx(0.0, abs=1e-6)
    # confidently wrong: -log(1 - M) = -log(2e^-30 + e^-60) ~ 30 - log 2
    wrong = assembled_mask_loss(
        torch.tensor([[[30.0]]]), torch.tensor([[[30.0]]]),
        torch.tensor([[[0.0]]]))
    assert wrong.item() == pytest.approx(30.0 - math.log(2), rel=1e-4)


def test_one_factor_is_plain_bce():
    torch.manual_seed(1)
    x = torch.randn(2, 3, 3)
    t = (torch.rand(2, 3, 3) > 0.5).float()
    ref = F.binary_cross_entropy_with_logits(
        x, t, reduction='none').flatten(1).mean(1)
    torch.testing.assert_close(assembled_mask_loss(x, None, t), ref)
    torch.testing.assert_close(assembled_mask_loss(None, x, t), ref)
    with pytest.raises(ValueError):
        assembled_mask_loss(None, None, t)


def test_module_reduction_and_weight():
    torch.manual_seed(2)
    a, b = torch.randn(2, 4, 3, 3)
    t = torch.rand(4, 3, 3)
    per_instance = assembled_mask_loss(a, b, t)
    module = AssembledMaskLoss(loss_weight=2.0)
    assert module(a, b, t).item() == pytest.approx(
        2 * per_instance.mean().item(), rel=1e-6)
    assert module(a, b, t, avg_factor=8).item() == pytest.approx(
        2 * per_instance.sum().item() / 8, rel=1e-6)
    assert AssembledMaskLoss(reduction='none')(a, b, t).shape == (4, )
    with pytest.raises(ValueError, match='reduction'):
        AssembledMaskLoss(reduction='avg')
