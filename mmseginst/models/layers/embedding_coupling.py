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
from typing import Tuple

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
    num, (h, w) = proposal_embeds.shape[0], out_shape
    grid_h, grid_w = pixel_embeds.shape[-2:]
    log_thr = math.log(mask_thr)
    ratio_y, ratio_x = (
        torch.tensor(float(grid), dtype=torch.float32,
                     device=pixel_embeds.device) / float(size)
        for grid, size in zip((grid_h, grid_w), resized_shape))
    masks = pixel_embeds.new_zeros((num, h, w), dtype=torch.bool)
    for n, (x1, y1, x2, y2) in enumerate(regions.tolist()):
        if x2 <= x1 or y2 <= y1:
            continue
        # crop = region plus a ring of outside cells (inside the grid)
        cx1, cy1 = max(x1 - 1, 0), max(y1 - 1, 0)
        cx2, cy2 = min(x2 + 1, grid_w), min(y2 + 1, grid_h)
        crop = pixel_embeds.new_full((cy2 - cy1, cx2 - cx1), outside_log_prob)
        dist = embedding_sq_distance(pixel_embeds[:, y1:y2, x1:x2],
                                     proposal_embeds[n:n + 1],
                                     margins[n:n + 1])[0]
        crop[y1 - cy1:y2 - cy1, x1 - cx1:x2 - cx1] = -dist
        v_lo, v_hi, r0, r1, ly = _axis_weights(y1, y2, h, ratio_y, cy1,
                                               cy2 - cy1)
        u_lo, u_hi, c0, c1, lx = _axis_weights(x1, x2, w, ratio_x, cx1,
                                               cx2 - cx1)
        if v_hi <= v_lo or u_hi <= u_lo:
            continue
        # index_select: plain advanced indexing is far slower on CPU
        cols = crop.index_select(1, c0) * (1 - lx) + \
            crop.index_select(1, c1) * lx
        log_prob = cols.index_select(0, r0) * (1 - ly)[:, None] + \
            cols.index_select(0, r1) * ly[:, None]
        masks[n, v_lo:v_hi, u_lo:u_hi] = log_prob > log_thr
    return masks
