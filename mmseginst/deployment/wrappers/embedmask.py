"""Export wrapper of EmbedMask: FCOS detections with their embeddings and
the box-bounded log-probability maps of the official test rule."""
from typing import Tuple

import torch
from torch import Tensor

from ...models.layers import embedding_sq_distance
from ..decode import fcos_detections
from .base import DeployWrapper, register_wrapper

# log-probability outside each padded box (official MaskProb_cuda.cu)
OUTSIDE_LOG_PROB = -10.0


def box_bounded_log_probs(pixel_embeds: Tensor, embeds: Tensor,
                          margins: Tensor, boxes: Tensor, stride: float,
                          padding: int) -> Tensor:
    """The official test rule's maps on the whole (H, W) grid: ``log p =
    -sum_d sigma_d (x_d - e_d)^2`` inside each box's region (the box on the
    grid, truncated and padded by ``padding`` cells: the cells of
    ``boxes_to_grid_regions``), -10 outside.

    Args:
        pixel_embeds (Tensor): (D, H, W) pixel embeddings of the image.
        embeds (Tensor): (N, D) detection embeddings with coordinates.
        margins (Tensor): (N, D) or (N, 1) margins.
        boxes (Tensor): (N, 4) boxes in input pixels.
        stride (float): pixels per grid cell.
        padding (int): cells added on every side.

    Returns:
        Tensor: (N, H, W) log-probabilities.
    """
    dims, height, width = pixel_embeds.shape
    dist = 0
    for d in range(dims):  # (N, H, W) buffers instead of one (N, D, H, W)
        dist = dist + embedding_sq_distance(
            pixel_embeds[d:d + 1], embeds[:, d:d + 1],
            margins[:, d:d + 1] if margins.shape[1] > 1 else margins)
    cells = torch.floor(boxes / stride)
    x1, y1 = cells[:, 0] - padding, cells[:, 1] - padding
    x2, y2 = cells[:, 2] + padding, cells[:, 3] + padding
    cols = torch.arange(width).to(boxes)
    rows = torch.arange(height).to(boxes)
    inside = ((rows[None, :, None] >= y1[:, None, None]) &
              (rows[None, :, None] < y2[:, None, None]) &
              (cols[None, None, :] >= x1[:, None, None]) &
              (cols[None, None, :] < x2[:, None, None]))
    return torch.where(inside, -dist, dist.new_tensor(OUTSIDE_LOG_PROB))


@register_wrapper('EmbedMask')
class EmbedMaskWrapper(DeployWrapper):
    """FCOS decoding of :class:`EmbedMaskHead` (ONNX NMS) keeping each
    detection's embedding, margin and location, then the coupling with the
    pixel embeddings inside each padded box.

    Outputs: ``boxes`` (N, 4), ``scores`` (N, ), ``labels`` (N, ),
    ``masks`` (N, H/s, W/s) log-probabilities on the pixel-embedding grid
    (stride s = 4 in the paper), -10 outside each padded box; the runtime
    resizes them to the official output size (bilinear) and thresholds at
    ``log(mask_thr)`` (``threshold_log_prob_maps``, the last step of the
    PyTorch head's ``box_bounded_masks``).
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
        log_probs = box_bounded_log_probs(
            pixel_head(x)[0][0],
            pixel_head.add_coordinates(dets['embeds'], dets['points']),
            dets['margins'], dets['boxes'], pixel_head.mask_stride,
            self.padding)
        return dets['boxes'], dets['scores'], dets['labels'], log_probs

    @property
    def padding(self) -> int:
        return int(self.model.mask_head.test_cfg.get('mask_box_padding', 2))

    def metadata(self) -> dict:
        head = self.model.mask_head
        return dict(mask_thr=float(head.test_cfg.get('mask_thr', 0.5)),
                    mask_stride=float(head.mask_stride),
                    mask_box_padding=self.padding)
