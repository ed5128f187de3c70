"""Mask Assembly of CenterMask-Point against the paper's per-object
procedure written as a plain loop."""
import pytest
import torch
import torch.nn.functional as F

from mmseginst.models.layers.mask_assembly import (assemble_masks,
                                                   assembled_probs,
                                                   boxes_to_cells,
                                                   paste_to_grid,
                                                   resize_local_shapes)


def plain_assembly(shape_vec, saliency_map, cell, feat_h, feat_w):
    """Sec. 3.1-3.3 for one object: reshape the S*S vector, resize it to the
    box size (h, w), crop the saliency to the box, multiply the sigmoids.
    Returns the (h, w) mask with NaN where the box leaves the map."""
    x1, y1, x2, y2 = [int(v) for v in cell]
    h, w = y2 - y1, x2 - x1
    size = int(round(shape_vec.numel()**0.5))
    local = F.interpolate(
        shape_vec.view(1, 1, size, size), (h, w), mode='bilinear',
        align_corners=False)[0, 0]
    mask = torch.full((h, w), float('nan'))
    for i in range(h):
        for j in range(w):
            y, x = y1 + i, x1 + j
            if 0 <= y < feat_h and 0 <= x < feat_w:
                mask[i, j] = local[i, j].sigmoid() * \
                    saliency_map[y, x].sigmoid()
    return mask


def test_boxes_to_cells_rounds_and_keeps_one_cell():
    boxes = torch.tensor([[0.4, 1.6, 3.5, 4.4], [2.2, 2.2, 2.3, 2.4],
                          [-1.2, 5.0, 1.0, 9.7]])
    cells = boxes_to_cells(boxes)
    assert cells.tolist() == [[0, 2, 4, 4], [2, 2, 3, 3], [-1, 5, 1, 10]]
    assert cells.dtype == torch.long


def test_resize_local_shapes_equals_interpolate():
    torch.manual_seed(0)
    sizes = [(1, 1), (3, 7), (16, 5), (40, 33)]
    vecs = torch.randn(len(sizes), 8 * 8)
    heights = torch.tensor([h for h, _ in sizes])
    widths = torch.tensor([w for _, w in sizes])
    out = resize_local_shapes(vecs, heights, widths, 40, 33)
    assert out.shape == (4, 40, 33)
    for k, (h, w) in enumerate(sizes):
        ref = F.interpolate(vecs[k].view(1, 1, 8, 8), (h, w),
                            mode='bilinear', align_corners=False)[0, 0]
        torch.testing.assert_close(out[k, :h, :w], ref, atol=1e-5,
                                   rtol=1e-5)


def test_resize_local_shapes_rejects_non_square():
    with pytest.raises(ValueError, match='not a square'):
        resize_local_shapes(torch.zeros(1, 10), torch.tensor([2]),
                            torch.tensor([2]), 2, 2)


@pytest.mark.parametrize('size', [4, 16])
def test_assembly_matches_plain_loop(size):
    torch.manual_seed(1)
    feat_h, feat_w, batch, channels = 13, 17, 2, 3
    saliency = torch.randn(batch, channels, feat_h, feat_w)
    boxes = torch.tensor([[0.3, 0.2, 5.6, 4.1], [10.0, 3.0, 17.4, 12.6],
                          [-2.0, 9.0, 3.0, 15.0], [7.9, 7.9, 8.1, 8.2],
                          [4.0, 1.0, 20.0, 6.0]])
    img = torch.tensor([0, 0, 1, 1, 0])
    labels = torch.tensor([2, 0, 1, 2, 1])
    vecs = torch.randn(len(boxes), size * size)
    cells = boxes_to_cells(boxes)
    shape_logits, sal_logits, valid, ys, xs = assemble_masks(
        cells, (feat_h, feat_w), vecs, saliency.flatten(0, 1),
        img * channels + labels)
    probs = assembled_probs(shape_logits, sal_logits)
    for k in range(len(boxes)):
        ref = plain_assembly(vecs[k], saliency[img[k], labels[k]], cells[k],
                             feat_h, feat_w)
        h, w = ref.shape
        inside = ~ref.isnan()
        assert torch.equal(valid[k, :h, :w], inside)
        assert not valid[k, h:].any() and not valid[k, :, w:].any()
        torch.testing.assert_close(probs[k, :h, :w][inside], ref[inside],
                                   atol=1e-5, rtol=1e-5)


def test_assembly_with_one_factor_only():
    saliency = torch.randn(1, 6, 6)
    cells = torch.tensor([[1, 1, 4, 3]])
    none_shape = assemble_masks(cells, (6, 6), None, saliency,
                                torch.tensor([0]))
    assert none_shape[0] is None
    torch.testing.assert_close(
        assembled_probs(None, none_shape[1])[0], saliency[0, 1:3,
                                                          1:4].sigmoid())
    vec = torch.randn(1, 4)
    none_sal = assemble_masks(cells, (6, 6), vec, None, None)
    assert none_sal[1] is None and none_sal[0].shape == (1, 2, 3)
    with pytest.raises(ValueError, match='needs'):
        assemble_masks(cells, (6, 6), None, None, None)


def test_paste_to_grid_places_boxes():
    cells = torch.tensor([[1, 0, 3, 2], [3, 2, 6, 3]])  # 2nd leaves the map
    probs = torch.arange(1, 13, dtype=torch.float).view(2, 2, 3)
    _, _, valid, ys, xs = assemble_masks(cells, (4, 5), torch.zeros(2, 4),
                                         None, None)
    grid = paste_to_grid(probs[:, :valid.shape[1], :valid.shape[2]], valid,
                         ys, xs, (4, 5))
    expected = torch.zeros(2, 4, 5)
    expected[0, 0:2, 1:3] = torch.tensor([[1., 2.], [4., 5.]])
    expected[1, 2, 3:5] = torch.tensor([7., 8.])
    assert torch.equal(grid, expected)
