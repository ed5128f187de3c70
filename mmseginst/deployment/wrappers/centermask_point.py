"""Export wrapper of CenterMask-Point (Wang et al.): heatmap peaks (or the
FCOS variant's detections), Local Shape and Global Saliency assembled into
masks inside the graph."""
import math
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from ...models.utils import conv1x1_at
from ..decode import fcos_detections
from .base import DeployWrapper, register_wrapper


def assemble_on_grid(boxes: Tensor, scale: Tuple[float, float],
                     grid_size: Tuple[int, int],
                     shape_logits: Optional[Tensor],
                     saliency_logits: Optional[Tensor]) -> Tensor:
    """Mask Assembly of N boxes straight on the (H, W) feature grid:
    ``sigmoid(L) * sigmoid(G)`` inside each box's cells, 0 outside.

    The same numbers as the head's box-grid assembly pasted on the grid
    (``assemble_masks`` + ``paste_to_grid``): a box is snapped to whole
    cells (rounded edges, at least one cell); the S x S Local Shape is
    resized to the box's cells by the bilinear (``align_corners=False``)
    rule, sampled at cell ``i`` of the box at ``(i + 0.5) / h * 2 - 1``.

    Args:
        boxes (Tensor): (N, 4) boxes in input pixels.
        scale (tuple[float, float]): grid cells per input pixel (x, y).
        grid_size (tuple[int, int]): (H, W) of the grid.
        shape_logits (Tensor, optional): (N, S*S) Local Shape logits.
        saliency_logits (Tensor, optional): (N, H, W) saliency logits of
            each detection's channel.

    Returns:
        Tensor: (N, H, W) assembled probabilities.
    """
    cells = torch.round(boxes * boxes.new_tensor(scale).repeat(2))
    x1, y1 = cells[:, 0:1], cells[:, 1:2]
    x2 = torch.maximum(cells[:, 2:3], x1 + 1)
    y2 = torch.maximum(cells[:, 3:4], y1 + 1)
    height, width = grid_size
    ys = torch.arange(height).to(boxes)[None]  # (1, H)
    xs = torch.arange(width).to(boxes)[None]  # (1, W)
    inside = (((ys >= y1) & (ys < y2))[:, :, None] &
              ((xs >= x1) & (xs < x2))[:, None, :])
    probs = inside.to(boxes.dtype)
    if shape_logits is not None:
        num, dim = shape_logits.shape
        size = math.isqrt(int(dim))  # S, a constant of the model
        gy = (ys - y1 + 0.5) / (y2 - y1) * 2 - 1  # (N, H)
        gx = (xs - x1 + 0.5) / (x2 - x1) * 2 - 1  # (N, W)
        grid = torch.stack([
            gx[:, None, :].expand(num, height, width),
            gy[:, :, None].expand(num, height, width)
        ], dim=-1)
        local = F.grid_sample(
            shape_logits.reshape(num, 1, size, size), grid,
            mode='bilinear', padding_mode='border', align_corners=False)
        probs = probs * local[:, 0].sigmoid()
    if saliency_logits is not None:
        probs = probs * saliency_logits.sigmoid()
    return probs


@register_wrapper('CenterMaskPoint')
class CenterMaskPointWrapper(DeployWrapper):
    """Peaks of the heatmap (3x3 max-pool, top-k; or FCOS with ONNX NMS
    for :class:`CenterMaskPointFCOSHead`), their boxes and Local Shapes,
    the Global Saliency and the Mask Assembly.

    Outputs: ``boxes`` (N, 4) in the network input, ``scores``, ``labels``
    and ``masks`` (N, H, W) assembled probabilities on the saliency grid,
    zero outside each box; the runtime resizes them to the image and
    thresholds at ``mask_thr``.
    """
    mask_kind = 'saliency_grid'

    def forward(self, img: Tensor, img_shape: Tensor) -> Tuple[Tensor, ...]:
        model = self.model
        x = model.extract_feat(img)
        head = model.bbox_head
        if type(head).__name__ == 'CenterMaskPointFCOSHead':
            boxes, scores, labels, shapes = self._fcos(x, img_shape)
        else:
            boxes, scores, labels, shapes = self._peaks(x, img)
        mask_head = model.mask_head
        saliency = mask_head.forward(x)[0][-1]
        grid_h, grid_w = saliency.shape[-2:] if saliency is not None else \
            x[mask_head.in_indices[-1]].shape[-2:]
        sal = None
        if saliency is not None:
            sal = saliency[0, labels] \
                if mask_head.saliency_type == 'class_specific' else \
                saliency[0, 0][None].expand(labels.shape[0], -1, -1)
        if not mask_head.use_local_shape:
            shapes = None
        probs = assemble_on_grid(
            boxes, (grid_w / img.shape[3], grid_h / img.shape[2]),
            (grid_h, grid_w), shapes, sal)
        return boxes, scores, labels, probs

    def _peaks(self, x, img: Tensor):
        """Top-k peaks of :class:`CenterMaskPointHead`: its own
        ``predict_by_feat`` (boxes in the network input frame)."""
        head = self.model.bbox_head
        meta = dict(batch_input_shape=tuple(img.shape[2:]))
        res = head.predict_by_feat(*head.forward(x), [meta])[0]
        shapes = res.shape_preds if 'shape_preds' in res else None
        return res.bboxes, res.scores, res.labels, shapes

    def _fcos(self, x, img_shape: Tensor):
        """Detections of :class:`CenterMaskPointFCOSHead` with the Local
        Shape logits of each (its 1x1 conv on the kept hidden vectors)."""
        head = self.model.bbox_head
        cls_scores, bbox_preds, ctrs, hidden = head(x)
        dets = fcos_detections(head, cls_scores, bbox_preds, ctrs,
                               dict(hidden=hidden), img_shape, head.test_cfg,
                               'CenterMaskPoint test_cfg')
        shapes = conv1x1_at(head.shape_head[-1], dets['hidden'])
        return dets['boxes'], dets['scores'], dets['labels'], shapes

    def metadata(self) -> dict:
        return dict(mask_thr=float(self.model.mask_head.test_cfg['mask_thr']))
