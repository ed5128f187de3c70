"""SpatialEmbeddingLoss against its definition written plainly: one
instance at a time, pixel by pixel where it is cheap."""
import math

import pytest
import torch

from mmseginst.models.losses.lovasz_hinge_loss import lovasz_hinge
from mmseginst.models.losses.spatial_embedding_loss import (
    SpatialEmbeddingLoss, instance_gaussians, seed_loss,
    spatial_embedding_loss, variance_loss)


def reference_image_loss(emb, sigma, seed, coords, instance_map, classes,
                         to_center=True, w_fg=10.0, w_oc=1.0):
    """One image, the paper's loss with a loop over instances.

    instance_map: (H, W) ids 1..K (0 = background); classes[k-1] = class.
    """
    n_sigma, num_classes = sigma.shape[0], seed.shape[0]
    inst, var, count = 0.0, 0.0, 0
    fg_sum = torch.zeros(num_classes, dtype=torch.float64)
    fg_any = torch.zeros((num_classes, ) + instance_map.shape,
                         dtype=torch.bool)
    for k in instance_map.unique().tolist():
        if k == 0:
            continue
        c = classes[k - 1]
        mask = instance_map == k
        pts = (coords if to_center else emb)[:, mask]
        center = pts.mean(1)
        s_k = sigma[:, mask].mean(1)
        prec = torch.exp(10 * s_k)
        if n_sigma == 1:
            prec = prec.repeat(2)
        d = sum(prec[j] * (emb[j] - center[j])**2 for j in range(2))
        phi = torch.exp(-d)
        inst += lovasz_hinge((2 * phi - 1)[None], mask[None])[0]
        var += ((sigma[:, mask] - s_k[:, None])**2).mean()
        fg_sum[c] += ((seed[c][mask] - phi[mask])**2).sum()
        fg_any[c] |= mask
        count += 1
    seed_total = 0.0
    on_object = instance_map > 0
    for c in range(num_classes):
        other = on_object & ~fg_any[c]  # an instance of another class
        seed_total += (seed[c][~fg_any[c] & ~other]**2).sum() + \
            w_oc * (seed[c][other]**2).sum() + w_fg * fg_sum[c]
    seed_total /= instance_map.numel()
    if count:
        inst, var = inst / count, var / count
    return float(inst), float(var), float(seed_total)


def random_case(gen, h=9, w=11, n_sigma=1, num_classes=2, k=3):
    emb = torch.rand(2, h, w, generator=gen, dtype=torch.float64) * 0.02
    sigma = torch.randn(n_sigma, h, w, generator=gen,
                        dtype=torch.float64) * 0.2 + 0.6
    seed = torch.rand(num_classes, h, w, generator=gen, dtype=torch.float64)
    coords = torch.stack(torch.meshgrid(
        torch.arange(h, dtype=torch.float64) / 1023,
        torch.arange(w, dtype=torch.float64) / 1023,
        indexing='ij')[::-1])
    instance_map = torch.randint(0, k + 1, (h, w), generator=gen)
    classes = torch.randint(0, num_classes, (k, ), generator=gen).tolist()
    return emb, sigma, seed, coords, instance_map, classes


def masks_of(instance_map, k):
    return torch.stack([instance_map == i for i in range(1, k + 1)])


def test_gaussian_hand_checked():
    # two pixels at x = 0 and x = 1 (y = 0); one instance = pixel 0;
    # embeddings 0.5 and 1; s = 0 -> precision 1
    emb = torch.tensor([[0.5, 1.0], [0.0, 0.0]])
    coords = torch.tensor([[0.0, 1.0], [0.0, 0.0]])
    sigma = torch.zeros(1, 2)
    masks = torch.tensor([[True, False]])
    phi, s_mean = instance_gaussians(emb, sigma, masks, coords)
    assert phi[0].tolist() == pytest.approx([math.exp(-0.25), math.exp(-1)])
    assert s_mean.tolist() == [[0.0]]
    # learnable center: mean embedding 0.5 -> phi(pixel 0) = 1
    phi, _ = instance_gaussians(emb, sigma, masks, coords, to_center=False)
    assert phi[0].tolist() == pytest.approx([1.0, math.exp(-0.25)])
    # elliptical: precision exp(10 * 0.1) along x only matters here
    phi, _ = instance_gaussians(emb, torch.tensor([[0.1, 0.1], [5., 5.]]),
                                masks, coords)
    assert phi[0, 0].item() == pytest.approx(math.exp(-math.e * 0.25))


def test_variance_and_seed_hand_checked():
    sigma = torch.tensor([[1.0, 3.0, 5.0]])
    masks = torch.tensor([[True, True, False]])
    s_mean = torch.tensor([[2.0]])
    assert variance_loss(sigma, masks, s_mean).tolist() == [1.0]
    # seed 0.5 everywhere, one class; pixel 2 background: 0.25;
    # pixels 0, 1 foreground with targets 1 and 0.5: 10 * (0.25 + 0)
    seed = torch.full((1, 3), 0.5)
    phi = torch.tensor([[1.0, 0.5, 0.0]])
    loss = seed_loss(seed, masks, torch.tensor([0]), phi,
                     torch.tensor([10.0]))
    assert loss.item() == pytest.approx((0.25 + 10 * 0.25) / 3)


def test_other_class_weight_hand_checked():
    # two classes, pixels: 0 = class-0 object, 1 = class-1 object, 2 = bg;
    # seed 0.5 everywhere, phi 1 on the objects
    seed = torch.full((2, 3), 0.5)
    masks = torch.tensor([[True, False, False], [False, True, False]])
    phi = masks.double().float()
    labels = torch.tensor([0, 1])
    w = torch.tensor([10.0, 10.0])
    # per map: own object 10 * 0.25, other object w_oc * 0.25, bg 0.25
    for w_oc in (1.0, 4.0, 0.0):
        loss = seed_loss(seed, masks, labels, phi, w,
                         other_class_weight=w_oc)
        assert loss.item() == pytest.approx(
            2 * (10 * 0.25 + w_oc * 0.25 + 0.25) / 3)


def test_other_class_weight_random_against_definition():
    gen = torch.Generator().manual_seed(11)
    for _ in range(3):
        emb, sigma, seed, coords, imap, classes = random_case(
            gen, num_classes=3, k=4)
        ref = reference_image_loss(emb, sigma, seed, coords, imap, classes,
                                   w_oc=5.0)
        out = spatial_embedding_loss(
            emb, sigma, seed, coords, masks_of(imap, 4),
            torch.tensor(classes), other_class_weight=5.0)
        assert [o.item() for o in out] == pytest.approx(ref, rel=1e-9)
    with pytest.raises(ValueError, match='other_class_weight'):
        SpatialEmbeddingLoss(other_class_weight=-1)


@pytest.mark.parametrize('n_sigma,to_center', [(1, True), (2, True),
                                               (1, False)])
def test_random_against_definition(n_sigma, to_center):
    gen = torch.Generator().manual_seed(n_sigma + 2 * to_center)
    for _ in range(3):
        emb, sigma, seed, coords, imap, classes = random_case(
            gen, n_sigma=n_sigma)
        ref = reference_image_loss(emb, sigma, seed, coords, imap, classes,
                                   to_center)
        out = spatial_embedding_loss(
            emb, sigma, seed, coords, masks_of(imap, 3),
            torch.tensor(classes), to_center=to_center)
        assert [o.item() for o in out] == pytest.approx(ref, rel=1e-9)


def test_padding_is_excluded_and_batch_is_averaged():
    gen = torch.Generator().manual_seed(7)
    emb, sigma, seed, coords, imap, classes = random_case(gen, k=2)
    ref = reference_image_loss(emb, sigma, seed, coords, imap, classes)
    # the same image padded by 3 rows and 2 columns of garbage
    pad = (0, 2, 0, 3)
    f = torch.nn.functional.pad
    valid = f(torch.ones(9, 11, dtype=torch.bool), pad)
    padded = [f(t, pad, value=0.7) for t in (emb, sigma, seed)]
    coords_p = torch.stack(torch.meshgrid(
        torch.arange(12, dtype=torch.float64) / 1023,
        torch.arange(13, dtype=torch.float64) / 1023,
        indexing='ij')[::-1])
    masks = f(masks_of(imap, 2), pad)
    empty = torch.zeros((0, 12, 13), dtype=torch.bool)
    loss = SpatialEmbeddingLoss()(
        torch.stack([padded[0]] * 2), torch.stack([padded[1]] * 2),
        torch.stack([padded[2]] * 2), coords_p, [masks, empty],
        [torch.tensor(classes[:2]), torch.zeros(0, dtype=torch.long)],
        torch.stack([valid, valid]))
    # image 2 has no instance: only its seed (background) term counts
    bg_only = reference_image_loss(emb, sigma, seed, coords,
                                   torch.zeros_like(imap), classes)
    assert loss['loss_instance'].item() == pytest.approx(ref[0] / 2)
    assert loss['loss_variance'].item() == pytest.approx(10 * ref[1] / 2)
    assert loss['loss_seed'].item() == pytest.approx(
        (ref[2] + bg_only[2]) / 2)


def test_gradients_and_empty_batch():
    gen = torch.Generator().manual_seed(3)
    emb, sigma, seed, coords, imap, classes = random_case(gen)
    emb.requires_grad_(True)
    sigma.requires_grad_(True)
    seed.requires_grad_(True)
    inst, var, sd = spatial_embedding_loss(emb, sigma, seed, coords,
                                           masks_of(imap, 3),
                                           torch.tensor(classes))
    (inst + var + sd).backward()
    assert emb.grad.abs().sum() > 0 and sigma.grad.abs().sum() > 0
    # phi is detached in the seed loss: the seed loss alone moves only seed
    emb.grad = None
    _, _, sd = spatial_embedding_loss(emb, sigma, seed, coords,
                                      masks_of(imap, 3),
                                      torch.tensor(classes))
    sd.backward()
    assert emb.grad is None or emb.grad.abs().sum() == 0
    # no instance at all: zero instance/variance losses that keep a graph
    out = SpatialEmbeddingLoss()(emb[None], sigma[None], seed[None], coords,
                                 [torch.zeros((0, 9, 11), dtype=torch.bool)],
                                 [torch.zeros(0, dtype=torch.long)])
    assert out['loss_instance'].item() == 0
    assert out['loss_instance'].requires_grad
    with pytest.raises(ValueError, match='foreground_weight'):
        SpatialEmbeddingLoss(foreground_weight=[1.0, 2.0, 3.0])(
            emb[None], sigma[None], seed[None], coords,
            [masks_of(imap, 3)], [torch.tensor(classes)])
