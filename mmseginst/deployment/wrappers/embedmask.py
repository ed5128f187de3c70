"""Export wrapper of EmbedMask: FCOS detections with their embeddings and
the box-bounded embedding coupling on the pixel grid."""
from typing import Tuple

import torch
from torch import Tensor

from ..decode import fcos_detections
from .base import DeployWrapper, register_wrapper


def box_bounded_probs(pixel_embeds: Tensor, embeds: Tensor, margins: Tensor,
                      boxes: Tensor, stride: float, padding: int) -> Tensor:
    """``p = exp(-sum_d sigma_d (x_d - e_d)^2)`` of N detections on the
    whole (H, W) grid, zero outside each box's region (the box on the grid,
    truncated and padded by ``padding`` cells, as
    ``boxes_to_grid_regions``).

    Args:
        pixel_embeds (Tensor): (D, H, W) pixel embeddings of the image.
        embeds (Tensor): (N, D) detection embeddings with coordinates.
        margins (Tensor): (N, D) or (N, 1) margins.
        boxes (Tensor): (N, 4) boxes in input pixels.
        stride (float): pixels per grid cell.
        padding (int): cells added on every side.

    Returns:
        Tensor: (N, H, W) probabilities.
    """
    dims, height, width = pixel_embeds.shape
    dist = 0
    for d in range(dims):  # one (N, H, W) buffer instead of (N, D, H, W)
        m = margins[:, d if margins.shape[1] > 1 else 0]
        diff = pixel_embeds[d][None] - embeds[:, d, None, None]
        dist = dist + diff.square() * m[:, None, None]
    cells = torch.floor(boxes / stride)
    x1, y1 = cells[:, 0] - padding, cells[:, 1] - padding
    x2, y2 = cells[:, 2] + padding, cells[:, 3] + padding
    cols = torch.arange(width).to(boxes)
    rows = torch.arange(height).to(boxes)
    inside = ((rows[None, :, None] >= y1[:, None, None]) &
              (rows[None, :, None] < y2[:, None, None]) &
              (cols[None, None, :] >= x1[:, None, None]) &
              (cols[None, None, :] < x2[:, None, None]))
    return torch.exp(-dist) * inside


@register_wrapper('EmbedMask')
class EmbedMaskWrapper(DeployWrapper):
    """FCOS decoding of :class:`EmbedMaskHead` (ONNX NMS) keeping each
    detection's embedding, margin and location, then the coupling with the
    pixel embeddings inside each padded box.

    Outputs: ``boxes`` (N, 4), ``scores`` (N, ), ``labels`` (N, ),
    ``masks`` (N, H/s, W/s) probabilities on the pixel-embedding grid
    (stride s = 4 in the paper), zero outside each padded box; the runtime
    resamples them to the image (bilinear) and thresholds at ``mask_thr``.
    """
    mask_kind = 'embedding_grid'

    def forward(self, img: Tensor, img_shape: Tensor) -> Tuple[Tensor, ...]:
        model = self.model
        head, pixel_head = model.bbox_head, model.mask_head
        x = model.extract_feat(img)
        cls_scores, bbox_preds, ctrs, embeds, margins = head(x)
        dets = fcos_detections(head, cls_scores, bbox_preds, ctrs,
                               dict(embeds=embeds, margins=margins),
                               img_shape, head.test_cfg, 'EmbedMask test_cfg')
        probs = box_bounded_probs(
            pixel_head(x)[0][0],
            pixel_head.add_coordinates(dets['embeds'], dets['points']),
            dets['margins'], dets['boxes'], pixel_head.mask_stride,
            pixel_head.test_cfg.get('mask_box_padding', 2))
        return dets['boxes'], dets['scores'], dets['labels'], probs

    def metadata(self) -> dict:
        head = self.model.mask_head
        return dict(mask_thr=float(head.test_cfg.get('mask_thr', 0.5)),
                    mask_stride=float(head.mask_stride))
