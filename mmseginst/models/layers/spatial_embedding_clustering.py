"""Greedy seed clustering of SpatialEmbeddings (Neven et al. 2019, Sec. 3.6).

Given, for one class, the pixel embeddings e (2, H, W), raw bandwidths
s (n_sigma, H, W) and seed probabilities q (H, W), instances are grown
greedily:

1. candidates = {q > candidate_thr (0.5)}; nothing if at most
   ``min_pixels`` (128) of them;
2. while more than ``min_pixels`` candidates are unclustered:
   a. take the unclustered candidate with the highest seed (the first in
      raster order on ties); stop if its seed < ``seed_thr`` (0.9 in the
      released test script); mark it clustered;
   b. center = its embedding, precision = exp(10 s) of that pixel itself;
   c. proposal = candidates with phi = exp(-sum_d prec_d (e_d - c_d)^2)
      > ``fg_thr`` (0.5);
   d. accept when |proposal| > ``min_pixels`` and more than
      ``min_unclustered_ratio`` (0.5) of it is still unclustered; the seed
      is the score;
   e. mark the proposal clustered, accepted or not.

Accepted masks may overlap. :func:`cluster_plain` follows these steps
literally on whole candidate vectors (O(N) per step). :func:`cluster_fast`
returns the same instances with three changes that do not alter any
decision:

* seeds >= ``seed_thr`` are sorted once (descending, stable) and walked
  with a pointer instead of an argmax per step;
* ``phi > fg_thr`` is decided as ``d < d*`` on the exponent d, where d* is
  the float32 boundary of torch's ``exp(-d) > fg_thr``
  (:func:`phi_cutoff`, checked exhaustively near the boundary in the
  tests), so no exp is needed per pixel;
* d is evaluated only on the candidates whose embedding lies in the box
  where d < d* is possible (a uniform grid over embedding space, sorted
  by cell), with the same float32 arithmetic as the plain version.
"""
import math
from functools import lru_cache
from typing import Optional, Tuple

import numpy as np
import torch
from torch import Tensor


def _empty(height: int, width: int, device) -> Tuple[Tensor, Tensor]:
    return (torch.zeros((0, height, width), dtype=torch.bool, device=device),
            torch.zeros((0, ), device=device))


def cluster_plain(embedding: Tensor,
                  sigma: Tensor,
                  seed: Tensor,
                  seed_thr: float = 0.9,
                  candidate_thr: float = 0.5,
                  fg_thr: float = 0.5,
                  min_pixels: int = 128,
                  min_unclustered_ratio: float = 0.5,
                  sigma_scale: float = 10.0,
                  max_instances: Optional[int] = None
                  ) -> Tuple[Tensor, Tensor]:
    """The greedy clustering, step by step (reference implementation).

    Args:
        embedding (Tensor): (2, H, W) float32 embeddings.
        sigma (Tensor): (n_sigma, H, W) raw bandwidths.
        seed (Tensor): (H, W) seed probabilities.
        seed_thr, candidate_thr, fg_thr, min_pixels, min_unclustered_ratio,
            sigma_scale: See the module docstring.
        max_instances (int, optional): Stop after accepting this many
            instances. Scores never increase along the greedy order, so
            this keeps the top ``max_instances`` of a full run.

    Returns:
        tuple[Tensor, Tensor]: masks (K, H, W) bool and scores (K,).
    """
    height, width = seed.shape
    cand = seed > candidate_thr
    num = int(cand.sum())
    if num <= min_pixels:
        return _empty(height, width, seed.device)
    emb = embedding[:, cand]  # 2 x N
    sig = sigma[:, cand]  # n x N
    sd = seed[cand]  # N
    unclustered = torch.ones(num, dtype=torch.bool, device=seed.device)
    masks, scores = [], []
    while int(unclustered.sum()) > min_pixels and \
            len(masks) != max_instances:
        masked_seed = sd * unclustered.to(sd.dtype)
        idx = int(masked_seed.argmax())
        score = masked_seed[idx].item()
        if score < seed_thr:
            break
        unclustered[idx] = False
        center = emb[:, idx:idx + 1]
        precision = torch.exp(sig[:, idx:idx + 1] * sigma_scale)
        dist = torch.exp(-1 * torch.sum(
            torch.pow(emb - center, 2) * precision, 0))
        proposal = dist > fg_thr
        size = proposal.sum()
        if size > min_pixels:
            fresh = unclustered[proposal].sum()
            if fresh.float() / size.float() > min_unclustered_ratio:
                mask = torch.zeros_like(cand)
                mask[cand] = proposal
                masks.append(mask)
                scores.append(score)
        unclustered[proposal] = False
    if not masks:
        return _empty(height, width, seed.device)
    return torch.stack(masks), torch.tensor(
        scores, dtype=seed.dtype, device=seed.device)


@lru_cache(maxsize=64)
def phi_cutoff(fg_thr: float) -> float:
    """The float32 d* such that, for every float32 d >= 0,
    ``torch.exp(-d) > fg_thr`` holds exactly when ``d < d*``.

    Found by evaluating torch's exp on the float32 values around
    -log(fg_thr) (exp is monotone, so one boundary exists). Raises if
    ``fg_thr`` is outside (0, 1).
    """
    if not 0 < fg_thr < 1:
        raise ValueError(f'fg_thr must lie in (0, 1), got {fg_thr}')
    center = np.float32(-math.log(fg_thr)).view(np.int32)
    values = (center + np.arange(-64, 65, dtype=np.int32)).view(np.float32)
    inside = (torch.exp(-1 * torch.from_numpy(values)) > fg_thr).numpy()
    if inside.all() or not inside.any():  # pragma: no cover - exp bug
        raise RuntimeError(f'no float32 boundary found for fg_thr={fg_thr}')
    return float(values[~inside].min())


class _EmbeddingGrid:
    """Candidates bucketed by a uniform grid over embedding space: the
    indices of those inside an axis-aligned box in O(box cells)."""

    max_rows = 256  # a taller box is scanned whole

    def __init__(self, emb: np.ndarray, finite: np.ndarray, lo: np.ndarray,
                 cell: float):
        # float32 cell indices may be off by one near a cell edge: queries
        # grow their box by one cell
        self.cell, self.lo = cell, lo
        cells = np.floor((emb - lo[:, None].astype(emb.dtype)) /
                         np.float32(cell))
        if not finite.all():
            cells[:, ~finite] = 0
        cells = cells.astype(np.int64)
        self.nx = int(cells[0].max()) + 1
        self.ny = int(cells[1].max()) + 1
        keys = cells[1] * self.nx + cells[0]
        keys[~finite] = -1  # never inside a box: d is NaN or inf there
        self.order = np.argsort(keys)  # order within a cell is irrelevant
        self.keys = keys[self.order]

    def query(self, x0: float, x1: float, y0: float,
              y1: float) -> Optional[np.ndarray]:
        """Indices of the candidates in the cells meeting the box, grown by
        one cell against rounding; None when the box is too tall."""
        cx0 = max(math.floor((x0 - self.lo[0]) / self.cell) - 1, 0)
        cx1 = min(math.floor((x1 - self.lo[0]) / self.cell) + 1, self.nx - 1)
        cy0 = max(math.floor((y0 - self.lo[1]) / self.cell) - 1, 0)
        cy1 = min(math.floor((y1 - self.lo[1]) / self.cell) + 1, self.ny - 1)
        if cx0 > cx1 or cy0 > cy1:
            return self.order[:0]
        if cy1 - cy0 >= self.max_rows:
            return None
        rows = np.arange(cy0, cy1 + 1, dtype=np.int64) * self.nx
        starts = np.searchsorted(self.keys, rows + cx0, 'left')
        ends = np.searchsorted(self.keys, rows + cx1, 'right')
        return np.concatenate(
            [self.order[a:b] for a, b in zip(starts, ends) if b > a] or
            [self.order[:0]])


def _grid_for_seeds(emb: np.ndarray, sig: Tensor, pool: np.ndarray,
                    d_star: np.float32,
                    sigma_scale: float) -> _EmbeddingGrid:
    """The embedding grid of the candidates, with a cell about the typical
    proposal radius of the pooled seeds."""
    sample = pool[::max(1, len(pool) // 4096)]  # enough for a median
    with torch.no_grad():
        prec = torch.exp(sig[:, torch.from_numpy(sample)] * sigma_scale)
    with np.errstate(divide='ignore', invalid='ignore'):
        radius = np.sqrt(float(d_star) / prec.double().numpy())
    typical = float(np.median(radius)) if np.isfinite(radius).any() else 0.
    finite = np.isfinite(emb[0]) & np.isfinite(emb[1])
    kept = emb if finite.all() else emb[:, finite]
    lo = kept.min(1).astype(np.float64) if kept.size else np.zeros(2)
    extent = float((kept.max(1) - lo).max()) if kept.size else 1.0
    cell = min(max(typical, extent / 4096, 1e-12), max(extent, 1e-12))
    return _EmbeddingGrid(emb, finite, lo, cell)


def _next_seed(pool: np.ndarray, ptr: int, unclustered: np.ndarray) -> int:
    """Position in ``pool`` of the first seed at or after ``ptr`` that is
    still unclustered; ``len(pool)`` when there is none."""
    while ptr < len(pool):
        chunk = unclustered[pool[ptr:ptr + 1024]]
        hit = int(chunk.argmax())
        if chunk[hit]:
            return ptr + hit
        ptr += len(chunk)
    return ptr


def _proposal(idx: int, emb: np.ndarray, sig: Tensor, sigma_scale: float,
              d_star: np.float32, grid: _EmbeddingGrid) -> np.ndarray:
    """Indices of the candidates with ``d < d*`` around seed ``idx``
    (steps b and c of the module docstring)."""
    cx, cy = emb[0, idx], emb[1, idx]
    # same op as the plain version on a 1-element tensor: same value
    p = torch.exp(sig[:, idx:idx + 1] * sigma_scale).numpy()[:, 0]
    px, py = (p[0], p[0]) if len(p) == 1 else (p[0], p[1])
    with np.errstate(divide='ignore', invalid='ignore', over='ignore'):
        rx = math.sqrt(float(d_star) / float(px)) * 1.001 + 1e-7 \
            if px > 0 else math.inf
        ry = math.sqrt(float(d_star) / float(py)) * 1.001 + 1e-7 \
            if py > 0 else math.inf
    near = None
    if all(map(math.isfinite, (cx, cy, rx, ry))):
        near = grid.query(cx - rx, cx + rx, cy - ry, cy + ry)
    if near is None:
        near = np.arange(emb.shape[1])
    with np.errstate(invalid='ignore', over='ignore'):
        d = (emb[0, near] - cx)**2 * px + (emb[1, near] - cy)**2 * py
    return near[d < d_star]


def _instance_masks(accepted: list, flat: Tensor, height: int, width: int,
                    device) -> Tensor:
    """(K, H, W) bool masks from the candidate indices of each instance
    (``flat``: the raster index of every candidate)."""
    rows = np.repeat(np.arange(len(accepted)), [len(a) for a in accepted])
    cols = flat.cpu().numpy()[np.concatenate(accepted)]
    # np.zeros maps zero pages lazily: only pages with mask pixels are
    # written (torch.zeros would clear all K x H x W bytes first)
    masks = np.zeros((len(accepted), height * width), dtype=bool)
    masks[rows, cols] = True
    return torch.from_numpy(masks).view(-1, height, width).to(device)


def cluster_fast(embedding: Tensor,
                 sigma: Tensor,
                 seed: Tensor,
                 seed_thr: float = 0.9,
                 candidate_thr: float = 0.5,
                 fg_thr: float = 0.5,
                 min_pixels: int = 128,
                 min_unclustered_ratio: float = 0.5,
                 sigma_scale: float = 10.0,
                 max_instances: Optional[int] = None
                 ) -> Tuple[Tensor, Tensor]:
    """Same inputs and output as :func:`cluster_plain`, much faster."""
    height, width = seed.shape
    device = seed.device
    cand = seed > candidate_thr
    flat = torch.nonzero(cand.reshape(-1)).squeeze(1)
    num = len(flat)
    if num <= min_pixels:
        return _empty(height, width, device)
    emb = embedding.reshape(2, -1)[:, flat].float().cpu().numpy()
    sig = sigma.reshape(sigma.shape[0], -1)[:, flat].cpu()  # n x N torch
    sd = seed.reshape(-1)[flat].cpu().numpy()
    # seeds that can still be picked, highest first, raster order on ties
    pool = np.flatnonzero(sd.astype(np.float64) >= seed_thr)
    pool = pool[np.argsort(-sd[pool], kind='stable')]
    if len(pool) == 0:
        return _empty(height, width, device)
    d_star = np.float32(phi_cutoff(float(fg_thr)))
    ratio = np.float32(min_unclustered_ratio)
    grid = _grid_for_seeds(emb, sig, pool, d_star, sigma_scale)

    unclustered = np.ones(num, dtype=bool)
    n_unclustered, ptr = num, 0
    accepted, scores = [], []
    while n_unclustered > min_pixels and len(accepted) != max_instances:
        ptr = _next_seed(pool, ptr, unclustered)
        if ptr >= len(pool):  # the best unclustered seed is < seed_thr
            break
        idx = int(pool[ptr])
        unclustered[idx] = False
        n_unclustered -= 1
        proposal = _proposal(idx, emb, sig, sigma_scale, d_star, grid)
        size = len(proposal)
        fresh = int(unclustered[proposal].sum())
        if size > min_pixels and \
                np.float32(fresh) / np.float32(size) > ratio:
            accepted.append(proposal)
            scores.append(float(sd[idx]))
        unclustered[proposal] = False
        n_unclustered -= fresh
    if not accepted:
        return _empty(height, width, device)
    return (_instance_masks(accepted, flat, height, width, device),
            torch.tensor(scores, dtype=seed.dtype, device=device))
