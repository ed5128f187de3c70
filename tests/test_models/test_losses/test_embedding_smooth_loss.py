"""EmbedMask v1 smooth loss against its definition."""
import pytest
import torch

from mmseginst.models.losses.embedding_smooth_loss import (
    EmbeddingSmoothLoss, embedding_smooth_loss)


def plain_smooth_loss(embeds, margins, groups, num_groups):
    """sum over the proposals of an instance of ||e - mean e||^2 +
    ||sigma - mean sigma||^2, written with Python loops."""
    out = []
    for g in range(num_groups):
        rows = [i for i, k in enumerate(groups) if k == g]
        if not rows:
            out.append(0.0)
            continue
        total = 0.0
        for values in (embeds, margins):
            dims = len(values[0])
            mean = [sum(values[i][d] for i in rows) / len(rows)
                    for d in range(dims)]
            total += sum((values[i][d] - mean[d])**2 for i in rows
                         for d in range(dims))
        out.append(total)
    return out


def test_hand_checked():
    # embeddings (0, 0) and (2, 0), margins 1 and 3: means (1, 0) and 2
    loss = embedding_smooth_loss(
        torch.tensor([[0., 0.], [2., 0.]]), torch.tensor([[1.], [3.]]),
        torch.tensor([0, 0]), 2)
    assert loss.tolist() == pytest.approx([(1 + 1) + (1 + 1), 0.0])


def test_random_matches_definition():
    torch.manual_seed(0)
    embeds = torch.randn(9, 4, dtype=torch.float64)
    margins = torch.rand(9, 4, dtype=torch.float64)
    groups = torch.tensor([0, 2, 2, 0, 3, 2, 0, 3, 3])
    loss = embedding_smooth_loss(embeds, margins, groups, 5)
    ref = plain_smooth_loss(embeds.tolist(), margins.tolist(),
                            groups.tolist(), 5)
    assert loss.tolist() == pytest.approx(ref, rel=1e-12, abs=1e-12)


def test_module():
    module = EmbeddingSmoothLoss(loss_weight=0.1)
    embeds = torch.tensor([[0., 0.], [2., 0.]], requires_grad=True)
    margins = torch.tensor([[1.], [3.]])
    loss = module(embeds, margins, torch.tensor([0, 0]), 2,
                  weight=torch.tensor([0.5, 0.5]), reduction_override='sum')
    assert loss.item() == pytest.approx(0.1 * 0.5 * 4)
    loss.backward()
    assert embeds.grad is not None
    empty = module(embeds[:0], margins[:0], torch.zeros(0, dtype=torch.long),
                   0)
    assert empty.item() == 0
    with pytest.raises(ValueError, match='same number of rows'):
        embedding_smooth_loss(embeds, margins[:1], torch.tensor([0, 0]), 1)
