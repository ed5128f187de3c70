"""Adaptive RoI level assignment of CenterMask (Eq. 2)."""
import math
from contextlib import ExitStack, contextmanager
from typing import Iterator, List, Optional, Sequence, Tuple, Union

import torch
from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor
from torch import Tensor, nn

from mmseginst.registry import MODELS

ImgShapes = Sequence[Union[dict, Tuple[int, int]]]


@MODELS.register_module()
class AdaptiveRoIExtractor(SingleRoIExtractor):
    """RoIAlign on the pyramid level chosen by the RoI's share of the image.

    FPN's rule (Eq. 1, mmdet's ``SingleRoIExtractor``) maps a RoI by its
    absolute size, tuned for 224-pixel ImageNet objects; CenterMask's Eq. 2
    maps it by its area relative to the input image:

        k = ceil(k_max - log2(A_input / A_RoI)),  clamped to [k_min, k_max]

    where ``A_input`` is the area of the resized image without padding
    (``img_shape``), ``A_RoI = w * h`` and ``k_min``, ``k_max`` are the
    levels of the finest and coarsest ``featmap_strides`` (P3-P5: 3 and 5).
    On P3-P5 a RoI larger than 1/2 of the image goes to P5, one in
    (1/4, 1/2] to P4, the rest to P3 [code: centermask2 ``pooler.py::
    assign_boxes_to_levels_by_ratio``, which uses P5 as k_max; the paper's
    wording could be read as P7].

    ``A_input`` comes from the image metas, which mmdet's RoI heads do not
    hand to their extractors: call the extractor inside
    :func:`roi_img_shapes` (what :class:`CenterMaskRoIHead` and
    :class:`AdaptiveLevelRoIHead` do) or pass ``img_shapes`` to ``forward``.

    Args:
        roi_layer (dict): RoI layer config, e.g. ``dict(type='RoIAlign',
            output_size=14, sampling_ratio=0)``.
        out_channels (int): Channels of the RoI features.
        featmap_strides (list[int]): Strides of the input levels, powers of
            two in increasing order.
    """

    def __init__(self,
                 roi_layer: dict,
                 out_channels: int,
                 featmap_strides: List[int],
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(roi_layer, out_channels, featmap_strides,
                         init_cfg=init_cfg)
        levels = [math.log2(s) for s in featmap_strides]
        if any(lv != int(lv) for lv in levels) or levels != sorted(levels):
            raise ValueError('AdaptiveRoIExtractor featmap_strides must be '
                             f'increasing powers of 2, got {featmap_strides}')
        self.min_level, self.max_level = int(levels[0]), int(levels[-1])
        self._img_areas: Optional[Tensor] = None

    @contextmanager
    def img_shapes(self, img_shapes: ImgShapes) -> Iterator[None]:
        """Use these per-image ``img_shape`` (dicts with that key, or
        ``(h, w)`` pairs) as ``A_input`` inside the ``with`` block."""
        areas = [(s['img_shape'] if isinstance(s, dict) else s)[:2]
                 for s in img_shapes]
        previous = self._img_areas
        self._img_areas = torch.tensor([float(h * w) for h, w in areas])
        try:
            yield
        finally:
            self._img_areas = previous

    def map_roi_levels(self, rois: Tensor, num_levels: int) -> Tensor:
        """Level index (0 = finest input level) of each RoI ``(n, 5)``."""
        if self._img_areas is None:
            raise RuntimeError(
                'AdaptiveRoIExtractor needs the resized image shapes: call it '
                'inside `with roi_img_shapes(roi_head, batch_img_metas):`, '
                'pass img_shapes=... to forward, or use a RoI head that does '
                '(CenterMaskRoIHead, AdaptiveLevelRoIHead)')
        if num_levels != self.max_level - self.min_level + 1:
            raise ValueError(f'{num_levels} feature levels given for strides '
                             f'{self.featmap_strides}')
        img_area = self._img_areas.to(rois.device)[rois[:, 0].long()]
        roi_area = (rois[:, 3] - rois[:, 1]) * (rois[:, 4] - rois[:, 2])
        # Eq. (2); a zero-area RoI gives log2(inf) and lands on k_min
        k = torch.ceil(self.max_level - torch.log2(img_area / roi_area))
        k = k.clamp(min=self.min_level, max=self.max_level)
        return (k - self.min_level).long()

    def forward(self,
                feats: Tuple[Tensor],
                rois: Tensor,
                roi_scale_factor: Optional[float] = None,
                img_shapes: Optional[ImgShapes] = None) -> Tensor:
        """``rois (n, 5)`` -> RoI features ``(n, out_channels, *out_size)``."""
        if img_shapes is None:
            return super().forward(feats, rois, roi_scale_factor)
        with self.img_shapes(img_shapes):
            return super().forward(feats, rois, roi_scale_factor)


@contextmanager
def roi_img_shapes(module: nn.Module,
                   img_shapes: ImgShapes) -> Iterator[None]:
    """Give every :class:`AdaptiveRoIExtractor` inside ``module`` (a RoI
    head) the image shapes of the current batch for a ``with`` block."""
    with ExitStack() as stack:
        for m in module.modules():
            if isinstance(m, AdaptiveRoIExtractor):
                stack.enter_context(m.img_shapes(img_shapes))
        yield
