"""EmbedMask's embedding coupling: probability, logits and the box-bounded
inference against plain definitions and a dense reference."""
import math

import pytest
import torch
import torch.nn.functional as F

from mmseginst.models.layers.embedding_coupling import (
    box_bounded_masks, boxes_to_grid_regions, embedding_mask_logits,
    embedding_sq_distance, official_mask_shapes, threshold_log_prob_maps)


def plain_probability(x, e, sigma):
    """p = exp(-sum_d sigma_d (x_d - e_d)^2) for one pixel and one proposal
    (sigma of length 1 means one scalar margin)."""
    if len(sigma) == 1:
        sigma = sigma * len(x)
    return math.exp(-sum(s * (a - b)**2 for a, b, s in zip(x, e, sigma)))


def test_distance_hand_checked():
    pixels = torch.tensor([[1.0], [2.0]])  # D=2, one pixel (1, 2)
    embeds = torch.zeros(1, 2)
    per_dim = embedding_sq_distance(pixels, embeds, torch.tensor([[0.5, 2.]]))
    assert per_dim.item() == pytest.approx(0.5 * 1 + 2 * 4)
    scalar = embedding_sq_distance(pixels, embeds, torch.tensor([[0.5]]))
    assert scalar.item() == pytest.approx(0.5 * 5)


@pytest.mark.parametrize('margin_dims', [1, 3])
def test_probability_matches_definition(margin_dims):
    torch.manual_seed(0)
    pixels = torch.randn(3, 4, 5, dtype=torch.float64)
    embeds = torch.randn(6, 3, dtype=torch.float64)
    margins = torch.rand(6, margin_dims, dtype=torch.float64) + 0.1
    prob = torch.exp(-embedding_sq_distance(pixels, embeds, margins))
    assert prob.shape == (6, 4, 5)
    for n in range(6):
        for y in range(4):
            for x in range(5):
                ref = plain_probability(pixels[:, y, x].tolist(),
                                        embeds[n].tolist(),
                                        margins[n].tolist())
                assert prob[n, y, x].item() == pytest.approx(ref, rel=1e-12)


def test_logits_match_definition():
    # p = 0.5 -> logit 0; the official clamp of p to [1e-9, 1 - 1e-9]
    assert embedding_mask_logits(
        torch.tensor(math.log(2.))).item() == pytest.approx(0, abs=1e-7)
    s = torch.cat([torch.rand(200, dtype=torch.float64) * 30,
                   torch.tensor([0., 1e-12, 50.], dtype=torch.float64)])
    p = torch.exp(-s).clamp(1e-9, 1 - 1e-9)
    ref = torch.log(p) - torch.log(1 - p)
    torch.testing.assert_close(embedding_mask_logits(s), ref, rtol=1e-6,
                               atol=1e-6)
    # stable where 1 - p underflows in float32
    small = embedding_mask_logits(torch.tensor([1e-6]))
    assert small.item() == pytest.approx(-1e-6 - math.log(1e-6), rel=1e-5)


def test_grid_regions():
    boxes = torch.tensor([[9., 3., 30., 13.], [0., 0., 400., 400.]])
    regions = boxes_to_grid_regions(boxes, 4, 2, (20, 25))
    # floor(box / 4) +- 2, clipped to the 25 x 20 grid
    assert regions.tolist() == [[0, 0, 9, 5], [0, 0, 25, 20]]


def official_log_prob_maps(pixels, embeds, margins, regions):
    """(N, H, W): ``-s`` inside each region, -10 elsewhere."""
    log_p = -embedding_sq_distance(pixels, embeds, margins)
    dense = torch.full_like(log_p, -10.)
    for n, (x1, y1, x2, y2) in enumerate(regions.tolist()):
        dense[n, y1:y2, x1:x2] = log_p[n, y1:y2, x1:x2]
    return dense


def official_masks(pixels, embeds, margins, regions, out_shape,
                   resized_shape, thr):
    """The official test rule written out densely (yinghdb/EmbedMask:
    MaskProb_cuda.cu fills ``-s`` inside the padded box and -10 elsewhere;
    coco_eval.py resizes the whole map bilinearly to ``resized_shape``, crops
    and keeps ``> log(MASK_TH)``)."""
    dense = official_log_prob_maps(pixels, embeds, margins, regions)
    up = F.interpolate(dense[None], size=resized_shape, mode='bilinear',
                       align_corners=False)[0]
    return up[:, :out_shape[0], :out_shape[1]] > math.log(thr)


def _one_cell_setup(cells):
    """Embeddings on a 4 x 4 grid with distance 0 (p = 1) in ``cells`` of
    one proposal's region and p = exp(-100) elsewhere."""
    pixels = torch.full((1, 4, 4), 10.)
    for y, x in cells:
        pixels[0, y, x] = 0.
    return pixels, torch.zeros(1, 1), torch.ones(1, 1)


def test_official_rule_hand_checked_square():
    """2 x 2 cells with p = 1 inside their own region, upsampled x2: in log
    space a row of outputs reads -2.5, 0, 0, -2.5 (0.75 / 0.25 mixes with
    the -10 outside), so only the central 2 x 2 pixels pass log(0.53);
    interpolating p instead would keep 4 x 4 (0.75 * 0.75 > 0.53)."""
    pixels, embeds, margins = _one_cell_setup([(1, 1), (1, 2), (2, 1),
                                                (2, 2)])
    regions = torch.tensor([[1, 1, 3, 3]])
    masks = box_bounded_masks(pixels, embeds, margins, regions, (8, 8),
                              (8, 8), 0.53)
    expected = torch.zeros(1, 8, 8, dtype=torch.bool)
    expected[0, 3:5, 3:5] = True
    assert torch.equal(masks, expected)


def test_official_rule_drops_one_cell_parts():
    """A single cell with p = 1 in a one-cell region: every output pixel
    mixes it with -10 by a weight of at most 0.75 x 0.75, so log p <= -4.4
    and nothing is kept (the probability rule would keep 2 x 2 pixels)."""
    pixels, embeds, margins = _one_cell_setup([(1, 1)])
    masks = box_bounded_masks(pixels, embeds, margins,
                              torch.tensor([[1, 1, 2, 2]]), (8, 8), (8, 8),
                              0.53)
    assert not masks.any()


def test_official_rule_resized_shape_is_used():
    """With ``resized_shape`` twice the grid, out_shape keeps its top-left:
    the square above shifted by nothing, cropped to 4 x 4 rows / columns."""
    pixels, embeds, margins = _one_cell_setup([(1, 1), (1, 2), (2, 1),
                                                (2, 2)])
    regions = torch.tensor([[1, 1, 3, 3]])
    masks = box_bounded_masks(pixels, embeds, margins, regions, (4, 6),
                              (8, 8), 0.53)
    assert masks.shape == (1, 4, 6)
    assert masks[0].nonzero().tolist() == [[3, 3], [3, 4]]


@pytest.mark.parametrize('factor', [(4., 4.), (4 / 1.37, 4 / 0.83)])
def test_box_bounded_masks_equal_official_dense(factor):
    torch.manual_seed(1)
    for trial in range(6):
        h, w = 9 + trial, 14 - trial
        pixels = torch.randn(4, h, w) * 0.6
        num = 7
        # proposals near some pixels so that masks are not empty
        embeds = pixels[:, torch.randint(0, h, (num, )),
                        torch.randint(0, w, (num, ))].t().contiguous()
        margins = torch.rand(num, 1 + 3 * (trial % 2)) + 0.3
        boxes = torch.rand(num, 4) * torch.tensor([w, h, w, h]) * 4
        boxes[:, 2:] = torch.maximum(boxes[:, :2], boxes[:, 2:]) + 2
        boxes[0] = torch.tensor([0., 0., w * 4., h * 4.])  # the whole grid
        regions = boxes_to_grid_regions(boxes, 4, trial % 3, (h, w))
        regions[1] = torch.tensor([3, 3, 3, 5])  # an empty region
        resized = (math.ceil(h * factor[0]), math.ceil(w * factor[1]))
        out_shape = (resized[0] - trial % 2, resized[1] - 1)
        bounded = box_bounded_masks(pixels, embeds, margins, regions,
                                    out_shape, resized, 0.53)
        dense = official_masks(pixels, embeds, margins, regions, out_shape,
                               resized, 0.53)
        assert bounded.dtype == torch.bool
        assert torch.equal(bounded, dense)
        assert not bounded[1].any()
        assert dense.any()


@pytest.mark.parametrize('factor', [(4., 4.), (4 / 1.37, 4 / 0.83)])
def test_threshold_log_prob_maps_equal_official_dense(factor):
    """The last step alone (what the ONNX runtime runs on the exported
    graph's maps) gives the masks of the dense rule and of
    box_bounded_masks."""
    torch.manual_seed(2)
    for trial in range(4):
        h, w = 10 + trial, 13 - trial
        pixels = torch.randn(3, h, w) * 0.6
        embeds = pixels[:, torch.randint(0, h, (6, )),
                        torch.randint(0, w, (6, ))].t().contiguous()
        margins = torch.rand(6, 1) + 0.3
        boxes = torch.rand(6, 4) * torch.tensor([w, h, w, h]) * 4
        boxes[:, 2:] = torch.maximum(boxes[:, :2], boxes[:, 2:]) + 2
        regions = boxes_to_grid_regions(boxes, 4, 2, (h, w))
        regions[1] = torch.tensor([3, 3, 3, 5])  # an empty region
        resized = (math.ceil(h * factor[0]), math.ceil(w * factor[1]))
        out_shape = (resized[0] - 1, resized[1] - trial % 2)
        maps = official_log_prob_maps(pixels, embeds, margins, regions)
        masks = threshold_log_prob_maps(maps, regions, out_shape, resized,
                                        0.53)
        dense = official_masks(pixels, embeds, margins, regions, out_shape,
                               resized, 0.53)
        assert torch.equal(masks, dense)
        assert torch.equal(
            masks, box_bounded_masks(pixels, embeds, margins, regions,
                                     out_shape, resized, 0.53))
        assert dense.any()


def test_official_mask_shapes_hand_checked():
    # a 20 x 30 grid at stride 4 covers 80 x 120 input pixels; the image
    # was resized from 50 x 70 to 40 x 56: ceil(80 * 50 / 40) = 100 and
    # ceil(120 * 70 / 56) = 150, cropped to the original 50 x 70
    meta = dict(img_shape=(40, 56), ori_shape=(50, 70))
    assert official_mask_shapes((20, 30), 4, meta) == ((50, 70), (100, 150))
    assert official_mask_shapes((20, 30), 4, meta, rescale=False) == (
        (40, 56), (80, 120))
