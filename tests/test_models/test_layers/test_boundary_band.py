"""The boundary band of RefineMask against (a) its own definition written as
a plain per-pixel loop and (b) the exact distance-transform definition
"distance to the nearest pixel of the other label <= d", for d = 1 and 2,
including masks that touch the RoI edge. Where (b) and the conv operator
differ is pinned down exactly (see mmseginst/models/layers/boundary_band.py).
"""
import itertools

import numpy as np
import pytest
import torch
from scipy.ndimage import distance_transform_cdt, distance_transform_edt

from mmseginst.models.layers.boundary_band import (boundary_band,
                                                   compose_refined_logits,
                                                   upsample_region)


def opposite_counts(mask, d):
    """Per pixel, the number of opposite-label pixels in its (2d+1)^2
    window; pixels outside the mask array count as background."""
    h, w = mask.shape
    out = np.zeros((h, w), int)
    for y, x in itertools.product(range(h), range(w)):
        for dy, dx in itertools.product(range(-d, d + 1), repeat=2):
            yy, xx = y + dy, x + dx
            inside = 0 <= yy < h and 0 <= xx < w
            other = bool(mask[yy, xx]) if inside else False
            out[y, x] += other != bool(mask[y, x])
    return out


def loop_band(mask, d):
    """The conv approximation's definition: > 10 % of the window is of the
    opposite label."""
    return opposite_counts(mask, d) > 0.1 * (2 * d + 1)**2


def exact_band(mask, d, metric='chessboard'):
    """Exact band: distance to the nearest opposite-label pixel <= d, the
    outside of the RoI being background (distance transforms of the mask
    padded with background)."""
    if not mask.any():
        return np.zeros(mask.shape, bool)
    pad = d + 1
    padded = np.pad(mask.astype(bool), pad)
    if metric == 'euclidean':
        to_bg = distance_transform_edt(padded)
        to_fg = distance_transform_edt(~padded)
    else:
        to_bg = distance_transform_cdt(padded, metric=metric)
        to_fg = distance_transform_cdt(~padded, metric=metric)
    dist = np.where(padded, to_bg, to_fg)[pad:-pad, pad:-pad]
    return dist <= d


def band(mask, d):
    return bands([mask], d)[0]


def bands(masks, d):
    """boundary_band of many masks, one batched call per mask shape."""
    masks = list(masks)
    out = [None] * len(masks)
    for shape in {m.shape for m in masks}:
        idx = [i for i, m in enumerate(masks) if m.shape == shape]
        batch = torch.from_numpy(np.stack([masks[i] for i in idx]))
        for i, b in zip(idx, boundary_band(batch, d).numpy()):
            out[i] = b
    return out


def random_masks(seed, count, max_size=11):
    rng = np.random.default_rng(seed)
    shapes = [tuple(rng.integers(3, max_size + 1, 2)) for _ in range(4)]
    return [
        rng.random(shapes[i % 4]) < rng.uniform(0.1, 0.9)
        for i in range(count)
    ]


def rectangle(h, w, y0, x0, rh, rw):
    mask = np.zeros((h, w), bool)
    mask[max(y0, 0):max(y0 + rh, 0), max(x0, 0):max(x0 + rw, 0)] = True
    return mask


def test_matches_its_definition():
    for d in (1, 2, 3):
        masks = random_masks(d, 40)
        for mask, fast in zip(masks, bands(masks, d)):
            np.testing.assert_array_equal(fast, loop_band(mask, d))


def test_batched_dtypes_and_empty():
    masks = np.stack(list(random_masks(7, 1, 6)) * 3)
    t = torch.from_numpy(masks)
    expected = boundary_band(t, 2)
    assert expected.dtype == torch.bool and expected.shape == t.shape
    assert torch.equal(boundary_band(t.float(), 2), expected)
    assert torch.equal(boundary_band(t.long(), 2), expected)
    assert not boundary_band(torch.zeros(2, 5, 5), 2).any()
    assert boundary_band(torch.zeros(0, 5, 5), 1).shape == (0, 5, 5)
    with pytest.raises(ValueError, match='width'):
        boundary_band(t, 0)
    with pytest.raises(ValueError, match='N, H, W'):
        boundary_band(t[0], 1)


def test_d1_equals_exact_for_every_3x3_and_random_mask():
    masks = [np.array(bits, bool).reshape(3, 3)
             for bits in itertools.product([0, 1], repeat=9)]
    masks += list(random_masks(11, 300, 12))
    for mask, fast in zip(masks, bands(masks, 1)):
        np.testing.assert_array_equal(fast, exact_band(mask, 1))


def test_d1_is_chebyshev_not_euclidean():
    # a diagonal neighbour at Euclidean distance sqrt(2) counts at d = 1
    mask = np.zeros((3, 3), bool)
    mask[0, 0] = True
    assert band(mask, 1)[1, 1] and not exact_band(mask, 1, 'euclidean')[1, 1]


def test_d2_subset_of_exact_and_equal_where_window_has_0_or_3_plus():
    masks = random_masks(12, 300, 12)
    for mask, conv in zip(masks, bands(masks, 2)):
        exact = exact_band(mask, 2)
        assert not (conv & ~exact).any()
        counts = opposite_counts(mask, 2)
        agree = (counts == 0) | (counts >= 3)
        np.testing.assert_array_equal(conv[agree], exact[agree])
        # they differ exactly on the pixels with 1 or 2 opposite pixels
        np.testing.assert_array_equal(conv != exact, (counts == 1) |
                                      (counts == 2))


@pytest.mark.parametrize('d', [1, 2])
def test_straight_edges_touching_the_roi_edge(d):
    masks = []
    for rows, transpose, flip in itertools.product(range(0, 9), (0, 1),
                                                   (0, 1)):
        mask = np.zeros((8, 9), bool)
        mask[:rows] = True
        mask = mask[::-1] if flip else mask
        masks.append(np.ascontiguousarray(mask.T if transpose else mask))
    for mask, fast in zip(masks, bands(masks, d)):
        np.testing.assert_array_equal(fast, exact_band(mask, d))
    # a full RoI: the band is the ring of width d along the RoI edge
    full = np.ones((6, 6), bool)
    assert band(full, 1).sum() == 36 - 16
    assert band(full, 2).sum() == 36 - 4
    assert not band(full, 2)[2:4, 2:4].any()


def test_d2_cuts_convex_corners_and_ignores_specks():
    # foreground: the top-left 5x5 block of a 10x10 RoI. Outside its convex
    # corner (4, 4) the exact band reaches (6, 6), (6, 5) and (5, 6); the
    # conv band does not (only 1 or 2 foreground pixels in their window).
    mask = rectangle(10, 10, 0, 0, 5, 5)
    conv, exact = band(mask, 2), exact_band(mask, 2)
    assert {tuple(p) for p in np.argwhere(exact & ~conv)} == {
        (6, 6), (6, 5), (5, 6)}
    # an isolated pixel: only the pixel itself is boundary
    speck = np.zeros((7, 7), bool)
    speck[3, 3] = True
    assert {tuple(p) for p in np.argwhere(band(speck, 2))} == {(3, 3)}
    assert exact_band(speck, 2).sum() == 25


def test_d2_rectangles_equal_euclidean_band():
    rng = np.random.default_rng(3)
    masks = []
    h, w = 12, 13
    while len(masks) < 200:
        y0, x0 = rng.integers(-3, h), rng.integers(-3, w)
        rh, rw = rng.integers(1, 14, 2)
        inside_h = min(y0 + rh, h) - max(y0, 0)
        inside_w = min(x0 + rw, w) - max(x0, 0)
        if inside_h >= 3 and inside_w >= 3:
            masks.append(rectangle(h, w, y0, x0, rh, rw))
    for mask, fast in zip(masks, bands(masks, 2)):
        np.testing.assert_array_equal(fast, exact_band(mask, 2, 'euclidean'))


def test_upsample_region_and_composition():
    region = torch.zeros(1, 4, 4, dtype=torch.bool)
    region[0, 1:3, 1:3] = True
    up = upsample_region(region, 8)
    assert up.shape == (1, 8, 8) and up[0, 3:5, 3:5].all() and not up[0, 0,
                                                                      0]
    g = torch.Generator().manual_seed(0)
    logits = [torch.randn(3, 1, s, s, generator=g) for s in (4, 8, 16)]
    out = compose_refined_logits(logits, boundary_width=1)
    assert [o.shape for o in out] == [o.shape for o in logits]
    assert torch.equal(out[0], logits[0])
    for k in (1, 2):
        prev = out[k - 1][:, 0]
        inside = upsample_region(
            boundary_band(prev.sigmoid() >= 0.5, 1), logits[k].shape[-1])
        prev_up = torch.nn.functional.interpolate(
            out[k - 1], scale_factor=2, mode='bilinear',
            align_corners=True)[:, 0]
        size = logits[k].shape[-1]
        for n, y, x in itertools.product(range(3), range(size), range(size)):
            want = logits[k][n, 0, y, x] if inside[n, y, x] else \
                prev_up[n, y, x]
            assert out[k][n, 0, y, x] == want
