"""Boxes of CenterNet-style point detectors: decoding from center cells and
the way back from the network input to the original image."""
from typing import Tuple

import torch
from torch import Tensor


def decode_boxes(cells: Tensor, sizes: Tensor, offsets: Tensor,
                 stride: Tuple[float, float]) -> Tensor:
    """CenterNet boxes from center cells, sizes and offsets.

    Args:
        cells (Tensor): (..., 2) center cells ``(x, y)``.
        sizes (Tensor): (..., 2) ``(w, h)`` in cells.
        offsets (Tensor): (..., 2) sub-cell offsets of the centers.
        stride (tuple[float, float]): input pixels per cell ``(x, y)``.

    Returns:
        Tensor: (..., 4) boxes ``(x1, y1, x2, y2)`` in the input frame.
    """
    centers = cells + offsets
    boxes = torch.cat([centers - sizes / 2, centers + sizes / 2], dim=-1)
    return boxes * boxes.new_tensor(stride).repeat(2)


def rescale_boxes_to_image(bboxes: Tensor, img_meta: dict) -> Tensor:
    """Boxes from the network input frame to the original image.

    Args:
        bboxes (Tensor): (N, 4) boxes in the network input frame.
        img_meta (dict): with ``ori_shape`` and optionally ``scale_factor``
            and the ``border`` (top, bottom, left, right) of mmdet's
            CenterNet test padding.

    Returns:
        Tensor: (N, 4) boxes with the border removed, divided by
        ``scale_factor`` and clipped to ``ori_shape``.
    """
    bboxes = bboxes.clone()
    if 'border' in img_meta:
        top, _, left, _ = [float(v) for v in img_meta['border']]
        bboxes -= bboxes.new_tensor([left, top, left, top])
    scale = img_meta.get('scale_factor', (1.0, 1.0))
    bboxes /= bboxes.new_tensor(scale).repeat(2)
    ori_h, ori_w = img_meta['ori_shape'][:2]
    bboxes[:, 0::2] = bboxes[:, 0::2].clamp(0, ori_w)
    bboxes[:, 1::2] = bboxes[:, 1::2].clamp(0, ori_h)
    return bboxes
