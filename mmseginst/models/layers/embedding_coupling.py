"""Embedding coupling of EmbedMask (Ying et al., arXiv 1912.01954).

A pixel with embedding ``x`` belongs to the instance of a proposal with
embedding ``e`` and margin ``sigma`` with probability (Eq. 4 of the paper,
generalised to one margin per dimension as in the official 2021 code)::

    p = exp(-sum_d sigma_d * (x_d - e_d) ** 2)

A scalar margin (arXiv v1) is the case of one margin broadcast over all
dimensions. The mask loss is a Lovász hinge on ``log p - log(1 - p)``.

At test time the official code evaluates ``log p`` with a CUDA kernel only
inside each (padded) predicted box on the stride-4 grid, -10 elsewhere,
resizes those log-probability maps bilinearly and thresholds them at
``log(MASK_TH)``. :func:`box_bounded_masks` gives the same masks in plain
PyTorch on any device, touching only each detection's box and output
window, so its memory does not grow with the number of detections beyond
the boolean output itself.
"""
import math
from typing import Sequence, Tuple

import torch
from torch import Tensor


def embedding_sq_distance(pixel_embeds: Tensor, proposal_embeds: Tensor,
                          margins: Tensor) -> Tensor:
    """Margin-weighted squared distance ``s = sum_d sigma_d (x_d - e_d)^2``.

    Args:
        pixel_embeds (Tensor): (D, *S) pixel embeddings (any spatial shape).
        proposal_embeds (Tensor): (N, D) proposal embeddings.
        margins (Tensor): (N, D) per-dimension margins, or (N, 1) scalar
            margins broadcast over the D dimensions.

    Returns:
        Tensor: (N, *S) distances ``s >= 0``, so that ``p = exp(-s)``.
    """
    dims, spatial = pixel_embeds.shape[0], pixel_embeds.shape[1:]
    if proposal_embeds.shape[1] != dims:
        raise ValueError(f'proposal_embeds have {proposal_embeds.shape[1]} '
                         f'dimensions, pixel_embeds {dims}')
    if margins.shape[1] not in (1, dims):
        raise ValueError(f'margins must have 1 or {dims} channels, got '
                         f'{margins.shape[1]}')
    x = pixel_embeds.reshape(1, dims, -1)
    diff = x - proposal_embeds[:, :, None]
    dist = (diff.square() * margins[:, :, None]).sum(1)
    return dist.reshape(proposal_embeds.shape[0], *spatial)


def embedding_mask_logits(sq_dist: Tensor, eps: float = 1e-9) -> Tensor:
    """``log p - log(1 - p)`` for ``p = exp(-s)``, with ``p`` clamped to
    ``[eps, 1 - eps]`` as the official loss does, computed without forming
    ``1 - p`` (which loses all precision when ``s`` is small).

    Args:
        sq_dist (Tensor): distances ``s`` of any shape.
        eps (float): clamp of the probability.

    Returns:
        Tensor: logits of the same shape, within about ``+-log(1 / eps)``.
    """
    s = sq_dist.clamp(min=-math.log1p(-eps), max=-math.log(eps))
    return -s - torch.log(-torch.expm1(-s))


def boxes_to_grid_regions(bboxes: Tensor, stride: int, padding: int,
                          grid_shape: Tuple[int, int]) -> Tensor:
    """Integer regions ``[x1, y1, x2, y2)`` of the stride-``stride`` grid
    covered by each box, padded by ``padding`` grid cells on every side
    (official inference: truncate ``box / stride``, pad by 2, clip).

    Args:
        bboxes (Tensor): (N, 4) boxes in input-image pixels.
        stride (int): stride of the grid.
        padding (int): padding in grid cells.
        grid_shape (tuple[int, int]): (H, W) of the grid.

    Returns:
        Tensor: (N, 4) int64 regions, end exclusive, clipped to the grid.
    """
    h, w = grid_shape
    regions = torch.floor(bboxes.detach() / stride).long()
    regions[:, :2] -= padding
    regions[:, 2:] += padding
    regions[:, 0::2] = regions[:, 0::2].clamp(0, w)
    regions[:, 1::2] = regions[:, 1::2].clamp(0, h)
    return regions


def _axis_weights(lo: int, hi: int, size: int, ratio: Tensor,
                  crop_start: int, crop_len: int):
    """Output indices ``[out_lo, out_hi)`` whose bilinear source (as
    ``F.interpolate(..., size=..., align_corners=False)`` computes it, with
    ``ratio`` = input cells per output pixel) touches grid cells
    ``[lo, hi)``, with the two source indices (relative to the crop) and the
    weight of the second one."""
    scale = 1.0 / ratio.item()
    out_lo = max(math.floor((lo - 0.5) * scale - 0.5), 0)
    out_hi = min(math.ceil((hi + 0.5) * scale - 0.5), size)
    # same float32 arithmetic as PyTorch's CPU/GPU bilinear kernels
    out = torch.arange(out_lo, out_hi, device=ratio.device,
                       dtype=torch.float32)
    src = ((out + 0.5) * ratio - 0.5).clamp(min=0)
    i0 = src.floor()
    lam = src - i0
    i0 = i0.long()
    i1 = i0 + 1
    # Source cells outside the crop hold the outside value (the crop
    # carries a ring of it) or lie past the grid border, where interpolate
    # repeats the edge: clamping into the crop reproduces both.
    i0 = (i0 - crop_start).clamp(0, crop_len - 1)
    i1 = (i1 - crop_start).clamp(0, crop_len - 1)
    return out_lo, out_hi, i0, i1, lam


def official_mask_shapes(grid_shape: Tuple[int, int], stride: float,
                         meta: dict,
                         rescale: bool = True) -> Tuple[tuple, tuple]:
    """(kept, resized) shapes of the test-time mask maps, as the official
    ``coco_eval.py``: the whole stride-``stride`` grid (H, W) is resized to
    ``ceil(H * stride * ori_h / img_h)`` (and likewise W) and cropped to
    ``ori_shape``; without ``rescale``, to ``H * stride`` cropped to
    ``img_shape``.

    Args:
        grid_shape (tuple[int, int]): (H, W) of the embedding grid.
        stride (float): input pixels per grid cell.
        meta (dict): image meta with ``img_shape`` and ``ori_shape``.
        rescale (bool): masks at the original image size.

    Returns:
        tuple[tuple, tuple]: ``out_shape`` and ``resized_shape`` of
        :func:`box_bounded_masks`.
    """
    grid_size = [g * stride for g in grid_shape]
    if not rescale:
        return tuple(meta['img_shape'][:2]), tuple(grid_size)
    ori, img = meta['ori_shape'][:2], meta['img_shape'][:2]
    resized = tuple(
        math.ceil(size * o / i) for size, o, i in zip(grid_size, ori, img))
    return tuple(ori), resized


def _grid_ratios(grid_shape: Tuple[int, int], resized_shape: Tuple[int, int],
                 device) -> Tuple[Tensor, Tensor]:
    """Grid cells per output pixel (y, x) of the bilinear resize, in the
    float32 PyTorch computes them in."""
    return tuple(
        torch.tensor(float(grid), dtype=torch.float32, device=device) /
        float(size) for grid, size in zip(grid_shape, resized_shape))


def _ring_crop(region: Sequence[int],
               grid_shape: Tuple[int, int]) -> Tuple[int, int, int, int]:
    """``[x1, y1, x2, y2)`` of the region plus a ring of one cell, inside
    the grid: every grid cell that bilinear sampling of the region's
    output window reads."""
    x1, y1, x2, y2 = region
    height, width = grid_shape
    return max(x1 - 1, 0), max(y1 - 1, 0), min(x2 + 1, width), \
        min(y2 + 1, height)


def _resized_region_mask(crop: Tensor, crop_box: Sequence[int],
                         region: Sequence[int], out_shape: Tuple[int, int],
                         ratios: Tuple[Tensor, Tensor], log_thr: float):
    """The part of ``F.interpolate(L, size=resized_shape, mode='bilinear')
    [:h, :w] > log_thr`` that one region's values reach, from ``crop``, the
    (ring-cropped, :func:`_ring_crop`) map ``L`` of one detection holding
    the outside value beyond its region.

    Returns:
        tuple | None: ``(rows, cols, mask)`` slices of the output and the
        bool window there, or None when the window is empty.
    """
    x1, y1, x2, y2 = region
    cx1, cy1, cx2, cy2 = crop_box
    v_lo, v_hi, r0, r1, ly = _axis_weights(y1, y2, out_shape[0], ratios[0],
                                           cy1, cy2 - cy1)
    u_lo, u_hi, c0, c1, lx = _axis_weights(x1, x2, out_shape[1], ratios[1],
                                           cx1, cx2 - cx1)
    if v_hi <= v_lo or u_hi <= u_lo:
        return None
    # index_select: plain advanced indexing is far slower on CPU
    cols = crop.index_select(1, c0) * (1 - lx) + crop.index_select(1, c1) * lx
    log_prob = cols.index_select(0, r0) * (1 - ly)[:, None] + \
        cols.index_select(0, r1) * ly[:, None]
    return slice(v_lo, v_hi), slice(u_lo, u_hi), log_prob > log_thr


def box_bounded_masks(pixel_embeds: Tensor,
                      proposal_embeds: Tensor,
                      margins: Tensor,
                      regions: Tensor,
                      out_shape: Tuple[int, int],
                      resized_shape: Tuple[int, int],
                      mask_thr: float,
                      outside_log_prob: float = -10.0) -> Tensor:
    """Binary masks of N detections by the official EmbedMask test rule,
    evaluating the embeddings only inside each detection's region.

    The official code (``MaskProb_cuda.cu``, ``embed_mask/inference.py`` and
    ``coco_eval.py`` of yinghdb/EmbedMask) builds, per detection, a dense
    stride-4 map ``L`` of **log**-probabilities: ``log p = -s`` inside the
    region (the box padded by 2 cells), ``outside_log_prob`` (-10)
    elsewhere; resizes all of ``L`` bilinearly (``align_corners=False``) to
    ``resized_shape``, keeps the top-left ``out_shape`` and keeps pixels with
    ``L > log(mask_thr)``. Interpolating log-probabilities, not
    probabilities, matters: near a region's border and across thin parts the
    mask is cut where the probability rule would keep it.

    This function gives exactly those masks, but each detection only touches
    its own region and output window, so memory does not grow with the
    number of detections beyond the boolean output.

    Args:
        pixel_embeds (Tensor): (D, H, W) pixel embeddings of one image.
        proposal_embeds (Tensor): (N, D) embeddings of the detections.
        margins (Tensor): (N, D) or (N, 1) margins of the detections.
        regions (Tensor): (N, 4) int regions ``[x1, y1, x2, y2)`` of the
            grid (see :func:`boxes_to_grid_regions`).
        out_shape (tuple[int, int]): (h, w) of the output masks, at most
            ``resized_shape``.
        resized_shape (tuple[int, int]): (H', W') the whole (H, W) grid is
            resized to (official: ``ceil(H * stride * ori_h / img_h)``).
        mask_thr (float): probability threshold (``MASK_TH``, 0.53).
        outside_log_prob (float): log-probability outside the regions.

    Returns:
        Tensor: (N, h, w) bool masks.
    """
    grid_shape = tuple(pixel_embeds.shape[-2:])
    ratios = _grid_ratios(grid_shape, resized_shape, pixel_embeds.device)
    masks = pixel_embeds.new_zeros((proposal_embeds.shape[0], *out_shape),
                                   dtype=torch.bool)
    for n, (x1, y1, x2, y2) in enumerate(regions.tolist()):
        if x2 <= x1 or y2 <= y1:
            continue
        cx1, cy1, cx2, cy2 = crop_box = _ring_crop((x1, y1, x2, y2),
                                                   grid_shape)
        crop = pixel_embeds.new_full((cy2 - cy1, cx2 - cx1), outside_log_prob)
        dist = embedding_sq_distance(pixel_embeds[:, y1:y2, x1:x2],
                                     proposal_embeds[n:n + 1],
                                     margins[n:n + 1])[0]
        crop[y1 - cy1:y2 - cy1, x1 - cx1:x2 - cx1] = -dist
        window = _resized_region_mask(crop, crop_box, (x1, y1, x2, y2),
                                      out_shape, ratios, math.log(mask_thr))
        if window is not None:
            masks[n][window[:2]] = window[2]
    return masks


def threshold_log_prob_maps(log_probs: Tensor, regions: Tensor,
                            out_shape: Tuple[int, int],
                            resized_shape: Tuple[int, int],
                            mask_thr: float) -> Tensor:
    """The official test rule's last step on maps already built: N dense
    log-probability maps ``L`` (``-s`` inside each detection's region, the
    outside value elsewhere, as :func:`box_bounded_masks` builds them)
    resized bilinearly to ``resized_shape``, cropped to ``out_shape`` and
    thresholded at ``log(mask_thr)``, touching only each region's window
    (the rest of the resized map stays below the threshold).

    Args:
        log_probs (Tensor): (N, H, W) log-probability maps on the grid.
        regions (Tensor): (N, 4) int regions of the grid.
        out_shape, resized_shape, mask_thr: as :func:`box_bounded_masks`.

    Returns:
        Tensor: (N, h, w) bool masks, those of :func:`box_bounded_masks`.
    """
    grid_shape = tuple(log_probs.shape[-2:])
    ratios = _grid_ratios(grid_shape, resized_shape, log_probs.device)
    masks = log_probs.new_zeros((log_probs.shape[0], *out_shape),
                                dtype=torch.bool)
    for n, region in enumerate(regions.tolist()):
        if region[2] <= region[0] or region[3] <= region[1]:
            continue
        cx1, cy1, cx2, cy2 = crop_box = _ring_crop(region, grid_shape)
        window = _resized_region_mask(log_probs[n, cy1:cy2, cx1:cx2],
                                      crop_box, region, out_shape, ratios,
                                      math.log(mask_thr))
        if window is not None:
            masks[n][window[:2]] = window[2]
    return masks
