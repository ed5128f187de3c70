"""The greedy clustering: the plain version on hand-made maps, the fast one
equal to it on random and crafted maps."""
import math

import numpy as np
import pytest
import torch

from mmseginst.models.layers.spatial_embedding_clustering import (
    cluster_fast, cluster_plain, phi_cutoff)


def coords(h, w, pitch=1 / 1023):
    ys, xs = torch.meshgrid(torch.arange(h), torch.arange(w), indexing='ij')
    return torch.stack([xs, ys]).float() * pitch


def blob_maps(h, w, blobs, gen, noise=0.0, bg_seed=0.3):
    """Embeddings pulled to each blob's center, bandwidth matched to its
    radius, seeds high in the middle; elsewhere e = x and low seeds."""
    emb = coords(h, w)
    sigma = torch.full((1, h, w), 0.0)
    seed = torch.rand(h, w, generator=gen) * bg_seed
    ys, xs = torch.meshgrid(torch.arange(h), torch.arange(w), indexing='ij')
    for cy, cx, r in blobs:
        dist = ((ys - cy)**2 + (xs - cx)**2).float().sqrt()
        m = dist < r
        center = torch.tensor([cx, cy]).float() / 1023
        emb[:, m] = center[:, None] + noise * r / 1023 * torch.randn(
            2, int(m.sum()), generator=gen)
        # phi = 0.5 at distance r: exp(10 s) = ln 2 / (r pitch)^2
        sigma[0, m] = math.log(math.log(2) / (r / 1023)**2) / 10
        seed[m] = 0.99 - 0.4 * dist[m] / r
    return emb, sigma, seed


def assert_same(a, b):
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_phi_cutoff_is_the_exact_float32_boundary():
    for thr in (0.5, 0.3, 0.75):
        d_star = np.float32(phi_cutoff(thr))
        bits = d_star.view(np.int32)
        near = (bits + np.arange(-3000, 3000, dtype=np.int32)).view(
            np.float32)
        t = torch.from_numpy(near)
        vector = torch.exp(-1 * t) > thr  # vectorised exp
        scalar = torch.tensor([bool(torch.exp(-1 * t[i:i + 1]) > thr)
                               for i in range(0, len(t), 7)])
        assert torch.equal(vector, torch.from_numpy(near < d_star))
        assert torch.equal(scalar, torch.from_numpy(near[::7] < d_star))
    with pytest.raises(ValueError, match='fg_thr'):
        phi_cutoff(1.0)


def test_plain_hand_made_two_instances():
    gen = torch.Generator().manual_seed(0)
    emb, sigma, seed = blob_maps(40, 60, [(10, 12, 7), (25, 40, 9)], gen)
    masks, scores = cluster_plain(emb, sigma, seed, seed_thr=0.9,
                                  min_pixels=20)
    assert len(masks) == 2
    # highest seed first: both centers have 0.99
    assert scores.tolist() == pytest.approx([0.99, 0.99])
    ys, xs = torch.meshgrid(torch.arange(40), torch.arange(60),
                            indexing='ij')
    disc = ((ys - 10)**2 + (xs - 12)**2) < 49
    assert torch.equal(masks[0], disc)  # all pixels embedded at the center
    # min_pixels above the blob sizes: nothing accepted
    big = cluster_plain(emb, sigma, seed, seed_thr=0.9, min_pixels=300)
    assert len(big[0]) == 0
    # seed threshold above every seed: nothing
    assert len(cluster_plain(emb, sigma, seed, seed_thr=0.995,
                             min_pixels=20)[0]) == 0


def test_plain_rejects_mostly_clustered_proposals():
    # two stacked copies of the same object: the second proposal is
    # entirely clustered already -> rejected
    gen = torch.Generator().manual_seed(1)
    emb, sigma, seed = blob_maps(30, 30, [(15, 15, 8)], gen)
    seed = seed.clone()
    seed[15, 15] = 0.999  # first seed
    seed[16, 15] = 0.998  # clustered by the first proposal already
    masks, scores = cluster_plain(emb, sigma, seed, 0.9, min_pixels=10)
    assert len(masks) == 1 and scores.tolist() == pytest.approx([0.999])


@pytest.mark.parametrize('seed_thr', [0.5, 0.9])
def test_fast_equals_plain_on_crafted_maps(seed_thr):
    gen = torch.Generator().manual_seed(2)
    blobs = [(int(torch.randint(0, 96, (1, ), generator=gen)),
              int(torch.randint(0, 160, (1, ), generator=gen)),
              int(torch.randint(4, 16, (1, ), generator=gen)))
             for _ in range(14)]  # overlapping, touching, at the border
    emb, sigma, seed = blob_maps(96, 160, blobs, gen, noise=0.3,
                                 bg_seed=0.7)
    plain = cluster_plain(emb, sigma, seed, seed_thr, min_pixels=15)
    assert len(plain[0]) >= 5
    assert_same(plain, cluster_fast(emb, sigma, seed, seed_thr,
                                    min_pixels=15))
    # scores never increase: stopping early keeps the top instances
    assert (plain[1][1:] <= plain[1][:-1]).all()
    for fn in (cluster_plain, cluster_fast):
        top = fn(emb, sigma, seed, seed_thr, min_pixels=15, max_instances=3)
        assert torch.equal(top[0], plain[0][:3])
        assert torch.equal(top[1], plain[1][:3])


def test_fast_equals_plain_on_random_maps():
    gen = torch.Generator().manual_seed(3)
    found = 0
    for trial in range(6):
        n_sigma = 1 + trial % 2
        h, w = 32 + 8 * trial, 48
        emb = coords(h, w) + torch.rand(2, h, w, generator=gen) * 0.02
        sigma = torch.randn(n_sigma, h, w, generator=gen) * 0.3 + 0.8
        seed = torch.rand(h, w, generator=gen)
        seed[0, :4] = seed[0, 0]  # ties: the first in raster order wins
        for kw in (dict(seed_thr=0.5, min_pixels=3),
                   dict(seed_thr=0.7, min_pixels=10, fg_thr=0.3,
                        min_unclustered_ratio=0.7),
                   # the shapes configs' low thresholds: most pixels are
                   # candidates
                   dict(seed_thr=0.2, candidate_thr=0.2, min_pixels=8)):
            plain = cluster_plain(emb, sigma, seed, **kw)
            assert_same(plain, cluster_fast(emb, sigma, seed, **kw))
            found += len(plain[0])
    assert found >= 12


def test_fast_handles_degenerate_maps():
    gen = torch.Generator().manual_seed(4)
    emb = coords(20, 20)
    seed = torch.rand(20, 20, generator=gen)
    for sigma in (torch.full((1, 20, 20), -20.0),  # huge bandwidth
                  torch.full((1, 20, 20), 20.0),  # precision overflows
                  torch.full((2, 20, 20), float('nan'))):
        assert_same(cluster_plain(emb, sigma, seed, 0.5, min_pixels=3),
                    cluster_fast(emb, sigma, seed, 0.5, min_pixels=3))
    emb_nan = emb.clone()
    emb_nan[:, :5] = float('nan')
    sigma = torch.zeros(1, 20, 20)
    assert_same(cluster_plain(emb_nan, sigma, seed, 0.5, min_pixels=3),
                cluster_fast(emb_nan, sigma, seed, 0.5, min_pixels=3))
    # too few candidates
    low = torch.full((20, 20), 0.4)
    for fn in (cluster_plain, cluster_fast):
        masks, scores = fn(emb, sigma, low)
        assert masks.shape == (0, 20, 20) and scores.shape == (0, )
