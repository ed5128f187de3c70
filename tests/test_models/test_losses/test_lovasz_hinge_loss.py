
import pytest
import torch

from mmseginst.models.losses.lovasz_hinge_loss import (LovaszHingeLoss,
                                                       lovasz_hinge)


def jaccard_set_loss(subset, positives):
    """Delta_J(S) = |S| / |G u S|: the Jaccard loss when S is predicted
    wrong (Berman et al. 2018, Eq. 4)."""
    subset = set(subset)
    return len(subset) / len(positives | subset) if subset else 0.0


def lovasz_reference(logits, labels):
    """The definition, written plainly: the Lovász extension of Delta_J
    evaluated at the hinge errors m = relu(1 - s*y)."""
    logits = logits.tolist()
    labels = labels.tolist()
    errors = [1 - s * (2 * y - 1) for s, y in zip(logits, labels)]
    positives = {i for i, y in enumerate(labels) if y == 1}
    order = sorted(range(len(errors)), key=lambda i: -errors[i])
    loss, prefix = 0.0, []
    for i in order:
        before = jaccard_set_loss(prefix, positives)
        prefix.append(i)
        after = jaccard_set_loss(prefix, positives)
        loss += max(errors[i], 0.0) * (after - before)
    return loss


def test_hand_checked_values():
    # errors 0.5, 1.5, 1.2 -> order b, c, a; Delta = 1/2, 2/3, 1
    loss = lovasz_hinge(torch.tensor([[0.5, -0.5, 0.2]]),
                        torch.tensor([[1, 1, 0]]))
    assert loss.item() == pytest.approx(1.5 * 0.5 + 1.2 / 6 + 0.5 / 3)
    # confident and right: no loss
    assert lovasz_hinge(torch.tensor([[3.0, -2.0]]),
                        torch.tensor([[1, 0]])).item() == 0
    # ties: both orders give 1
    assert lovasz_hinge(torch.tensor([[0.0, 0.0]]),
                        torch.tensor([[1, 0]])).item() == pytest.approx(1.0)


def test_random_against_definition():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(6, 17, generator=g) * 2
    labels = (torch.rand(6, 17, generator=g) > 0.6).long()
    labels[0] = 0  # an instance without foreground
    fast = lovasz_hinge(logits, labels)
    for k in range(6):
        assert fast[k].item() == pytest.approx(
            lovasz_reference(logits[k], labels[k]), abs=1e-5)


def test_valid_mask_equals_cropping():
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(4, 5, 7, generator=g) * 3
    labels = (torch.rand(4, 5, 7, generator=g) > 0.5).long()
    valid = torch.rand(4, 5, 7, generator=g) > 0.4
    batched = lovasz_hinge(logits, labels, valid)
    for k in range(4):
        ref = lovasz_reference(logits[k][valid[k]], labels[k][valid[k]])
        assert batched[k].item() == pytest.approx(ref, abs=1e-5)


def test_gradient_matches_definition_direction():
    logits = torch.tensor([[0.5, -0.5, 0.2]], requires_grad=True)
    lovasz_hinge(logits, torch.tensor([[1, 1, 0]])).sum().backward()
    # d/ds of relu(1 - s*y) * g: -y * g for pixels with positive error
    expected = torch.tensor([[-1 / 3, -0.5, 1 / 6]])
    assert torch.allclose(logits.grad, expected, atol=1e-6)


def test_module_reduction_and_empty():
    loss_fn = LovaszHingeLoss(loss_weight=0.5)
    logits = torch.randn(3, 10)
    labels = (torch.rand(3, 10) > 0.5).long()
    per = lovasz_hinge(logits, labels)
    assert loss_fn(logits, labels).item() == pytest.approx(
        0.5 * per.mean().item(), rel=1e-6)
    empty = torch.zeros(0, 10, requires_grad=True)
    out = loss_fn(empty, torch.zeros(0, 10))
    assert out.item() == 0
    out.backward()  # keeps the graph
    with pytest.raises(ValueError, match='same shape'):
        lovasz_hinge(torch.zeros(2, 3), torch.zeros(2, 4))


def test_no_python_loop_over_instances_matches_loop():
    g = torch.Generator().manual_seed(2)
    logits = torch.randn(50, 64, generator=g)
    labels = (torch.rand(50, 64, generator=g) > 0.5).long()
    batched = lovasz_hinge(logits, labels)
    looped = torch.cat([lovasz_hinge(logits[i:i + 1], labels[i:i + 1])
                        for i in range(50)])
    assert torch.allclose(batched, looped, atol=1e-6)
