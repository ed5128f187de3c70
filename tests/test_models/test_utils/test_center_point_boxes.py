"""models/utils/center_point_boxes.py: CenterNet box decoding and the way
back to the original image."""
import torch

from mmseginst.models.utils import decode_boxes, rescale_boxes_to_image


def test_decode_boxes_hand_checked():
    # cell (2, 3), offset (0.5, 0.25), size 4 x 2 cells, stride 4 x 8 px:
    # center (2.5, 3.25) cells = (10, 26) px, half size (8, 8) px
    box = decode_boxes(torch.tensor([[2., 3.]]), torch.tensor([[4., 2.]]),
                       torch.tensor([[0.5, 0.25]]), (4.0, 8.0))
    assert box.tolist() == [[2.0, 18.0, 18.0, 34.0]]


def test_decode_boxes_random_against_definition():
    torch.manual_seed(0)
    cells = torch.randint(0, 20, (2, 5, 2)).float()
    sizes = torch.rand(2, 5, 2) * 10
    offsets = torch.rand(2, 5, 2)
    boxes = decode_boxes(cells, sizes, offsets, (4.0, 2.0))
    assert boxes.shape == (2, 5, 4)
    for b in range(2):
        for k in range(5):
            (cx, cy), (w, h) = cells[b, k] + offsets[b, k], sizes[b, k]
            expected = torch.stack([(cx - w / 2) * 4, (cy - h / 2) * 2,
                                    (cx + w / 2) * 4, (cy + h / 2) * 2])
            torch.testing.assert_close(boxes[b, k], expected)


def test_rescale_boxes_to_image_removes_border_scales_and_clips():
    boxes = torch.tensor([[12., 6., 30., 50.], [0., 0., 200., 8.]])
    meta = dict(border=(4, 0, 2, 0), scale_factor=(2.0, 4.0),
                ori_shape=(10, 20))
    out = rescale_boxes_to_image(boxes, meta)
    # minus (left 2, top 4), divided by (2, 4), clipped to 20 x 10
    assert out.tolist() == [[5.0, 0.5, 14.0, 10.0], [0.0, 0.0, 20.0, 1.0]]
    assert boxes[0, 0] == 12  # the input is not modified
    # without border and scale factor: clipping only
    plain = rescale_boxes_to_image(boxes, dict(ori_shape=(10, 20)))
    assert plain.tolist() == [[12., 6., 20., 10.], [0., 0., 20., 8.]]
