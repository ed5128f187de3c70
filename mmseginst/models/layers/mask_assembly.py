"""Mask Assembly of CenterMask (Wang et al., CVPR 2020, Sec. 3.1-3.3).

An instance mask is the Hadamard product of two maps over the instance's box,
both taken on the feature grid that carries the Global Saliency map:

* the **Local Shape** ``L_k``: the ``S*S`` vector predicted at the object's
  center, reshaped to ``S x S`` and resized (bilinear) to the box size
  ``(h, w)`` (Sec. 3.1);
* the **cropped saliency** ``G_k``: the Global Saliency map cut to the box, in
  the class-specific setting the channel of the object's class (Sec. 3.2);

``M_k = sigmoid(L_k) * sigmoid(G_k)`` (Sec. 3.3). Everything here works on
logits and is vectorised over the ``N`` instances: boxes of different sizes
are laid on one ``(N, Hm, Wm)`` grid (``Hm``, ``Wm`` the largest box) with a
``valid`` mask, and the resize is one ``grid_sample`` that reproduces
``F.interpolate(..., mode='bilinear', align_corners=False)`` exactly.

Boxes are snapped to whole feature cells: a cell belongs to the box when its
center lies inside it (rounding the box edges), and every box spans at least
one cell. The Local Shape is resized to that integer ``(h, w)``, so the
assembly equals the plain per-object reading of the paper (see the tests).
"""
import math
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def boxes_to_cells(boxes: Tensor) -> Tensor:
    """Snap boxes given in feature-cell units to whole cells.

    Args:
        boxes (Tensor): (N, 4) boxes ``(x1, y1, x2, y2)`` in feature cells.

    Returns:
        Tensor: (N, 4) long ``(x1, y1, x2, y2)``, half-open, at least one cell
        wide and high; not clipped to the map (cells outside it are marked
        invalid by :func:`assemble_masks`).
    """
    cells = boxes.detach().round().long()
    x1, y1, x2, y2 = cells.unbind(-1)
    x2 = torch.maximum(x2, x1 + 1)
    y2 = torch.maximum(y2, y1 + 1)
    return torch.stack([x1, y1, x2, y2], dim=-1)


def _box_grid(cells: Tensor, feat_h: int,
              feat_w: int) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """Rows/columns of every box laid on a common (N, Hm, Wm) grid."""
    heights = cells[:, 3] - cells[:, 1]
    widths = cells[:, 2] - cells[:, 0]
    max_h, max_w = int(heights.max()), int(widths.max())
    iy = torch.arange(max_h, device=cells.device)
    ix = torch.arange(max_w, device=cells.device)
    ys = cells[:, 1, None] + iy  # (N, Hm) feature rows
    xs = cells[:, 0, None] + ix  # (N, Wm) feature columns
    valid_y = (iy < heights[:, None]) & (ys >= 0) & (ys < feat_h)
    valid_x = (ix < widths[:, None]) & (xs >= 0) & (xs < feat_w)
    valid = valid_y[:, :, None] & valid_x[:, None, :]
    return ys, xs, heights, widths, valid


def resize_local_shapes(shape_vectors: Tensor, heights: Tensor,
                        widths: Tensor, max_h: int, max_w: int) -> Tensor:
    """Reshape ``S*S`` vectors to ``S x S`` and resize each to its (h, w).

    Args:
        shape_vectors (Tensor): (N, S*S) Local Shape logits.
        heights, widths (Tensor): (N,) target sizes in cells.
        max_h, max_w (int): size of the common output grid.

    Returns:
        Tensor: (N, max_h, max_w); entry ``[k, i, j]`` for ``i < h_k`` and
        ``j < w_k`` equals ``F.interpolate(L_k, (h_k, w_k), mode='bilinear',
        align_corners=False)[i, j]``; the rest is padding.
    """
    num, dim = shape_vectors.shape
    size = math.isqrt(dim)
    if size * size != dim:
        raise ValueError(f'Local Shape vectors have {dim} channels, which '
                         'is not a square S*S')
    shapes = shape_vectors.reshape(num, 1, size, size)
    dtype = shape_vectors.dtype
    iy = torch.arange(max_h, device=shapes.device, dtype=dtype)
    ix = torch.arange(max_w, device=shapes.device, dtype=dtype)
    # with align_corners=False, output cell i of h samples the source at
    # (i + 0.5) * S / h - 0.5, i.e. the normalised coordinate below; the
    # 'border' padding clamps to the edge exactly as F.interpolate does.
    gy = (iy + 0.5) / heights[:, None].to(dtype) * 2 - 1  # (N, Hm)
    gx = (ix + 0.5) / widths[:, None].to(dtype) * 2 - 1  # (N, Wm)
    grid = torch.stack(
        [gx[:, None, :].expand(num, max_h, max_w),
         gy[:, :, None].expand(num, max_h, max_w)],
        dim=-1)
    out = F.grid_sample(
        shapes, grid, mode='bilinear', padding_mode='border',
        align_corners=False)
    return out[:, 0]


def crop_maps(maps: Tensor, map_inds: Tensor, ys: Tensor,
              xs: Tensor) -> Tensor:
    """Crop one channel of a batch of maps to each box (gather, no resize).

    Args:
        maps (Tensor): (M, H, W) maps (e.g. (B*C) saliency channels or the
            ground-truth masks of the batch).
        map_inds (Tensor): (N,) which map each box is cut from.
        ys, xs (Tensor): (N, Hm) rows and (N, Wm) columns of each box; cells
            outside the map are clamped (they are invalid anyway).

    Returns:
        Tensor: (N, Hm, Wm).
    """
    h, w = maps.shape[-2:]
    return maps[map_inds[:, None, None], ys.clamp(0, h - 1)[:, :, None],
                xs.clamp(0, w - 1)[:, None, :]]


def assemble_masks(
    cells: Tensor,
    feat_size: Tuple[int, int],
    shape_vectors: Optional[Tensor] = None,
    saliency: Optional[Tensor] = None,
    saliency_inds: Optional[Tensor] = None,
) -> Tuple[Optional[Tensor], Optional[Tensor], Tensor, Tensor, Tensor]:
    """Lay the Local Shape and the cropped saliency of N boxes on one grid.

    Args:
        cells (Tensor): (N, 4) long boxes from :func:`boxes_to_cells`, N > 0.
        feat_size (tuple[int]): (H, W) of the saliency feature grid.
        shape_vectors (Tensor, optional): (N, S*S) Local Shape logits; None
            for the saliency-only ablation.
        saliency (Tensor, optional): (M, H, W) saliency logits, one map per
            (image, channel); None for the shape-only ablation.
        saliency_inds (Tensor, optional): (N,) index into ``saliency`` of the
            map each instance is cropped from.

    Returns:
        tuple: ``shape_logits`` (N, Hm, Wm) or None, ``saliency_logits``
        (N, Hm, Wm) or None, ``valid`` (N, Hm, Wm) bool (inside the box and
        the map), and the rows ``ys`` (N, Hm) and columns ``xs`` (N, Wm).
    """
    if shape_vectors is None and saliency is None:
        raise ValueError('assemble_masks needs the Local Shape, the Global '
                         'Saliency, or both')
    feat_h, feat_w = feat_size
    ys, xs, heights, widths, valid = _box_grid(cells, feat_h, feat_w)
    shape_logits = None
    if shape_vectors is not None:
        shape_logits = resize_local_shapes(shape_vectors, heights, widths,
                                           valid.shape[1], valid.shape[2])
    saliency_logits = None
    if saliency is not None:
        saliency_logits = crop_maps(saliency, saliency_inds, ys, xs)
    return shape_logits, saliency_logits, valid, ys, xs


def assembled_probs(shape_logits: Optional[Tensor],
                    saliency_logits: Optional[Tensor]) -> Tensor:
    """``M = sigmoid(L) * sigmoid(G)``, with a missing factor taken as 1."""
    probs = None
    for logits in (shape_logits, saliency_logits):
        if logits is not None:
            probs = logits.sigmoid() if probs is None else \
                probs * logits.sigmoid()
    return probs


def paste_to_grid(probs: Tensor, valid: Tensor, ys: Tensor, xs: Tensor,
                  feat_size: Tuple[int, int]) -> Tensor:
    """Put each assembled box mask back on the whole feature grid.

    Args:
        probs (Tensor): (N, Hm, Wm) assembled masks.
        valid, ys, xs: as returned by :func:`assemble_masks`.
        feat_size (tuple[int]): (H, W) of the grid.

    Returns:
        Tensor: (N, H, W), zero outside each box.
    """
    num = probs.shape[0]
    canvas = probs.new_zeros((num, ) + tuple(feat_size))
    n, i, j = valid.nonzero(as_tuple=True)
    canvas[n, ys[n, i], xs[n, j]] = probs[n, i, j]
    return canvas


def masks_on_grid(masks: Tensor, input_shape: Tuple[int, int],
                  grid_size: Tuple[int, int]) -> Tensor:
    """Ground-truth masks as soft targets on a feature grid.

    The masks cover the image at its ``img_shape``, the top-left part of the
    padded batch input (mmdet pads gt masks only with ``pad_mask=True``):
    they are zero-padded to ``input_shape`` first, so that each grid cell
    averages the input pixels it covers, whatever the image's aspect ratio
    and padding.

    Args:
        masks (Tensor): (N, h, w) float masks, h, w <= the input's.
        input_shape (tuple[int]): (H, W) of the padded network input.
        grid_size (tuple[int]): (Hf, Wf) of the grid covering that input.

    Returns:
        Tensor: (N, Hf, Wf), the area average of each mask over each cell.
    """
    if not len(masks):
        return masks.new_zeros((0, ) + tuple(grid_size))
    pad_h = input_shape[0] - masks.shape[-2]
    pad_w = input_shape[1] - masks.shape[-1]
    if pad_h < 0 or pad_w < 0:
        raise ValueError(f'gt masks of size {tuple(masks.shape[-2:])} are '
                         f'larger than the network input {input_shape}')
    masks = F.pad(masks, (0, pad_w, 0, pad_h))
    return F.interpolate(masks[None], grid_size, mode='area')[0]
