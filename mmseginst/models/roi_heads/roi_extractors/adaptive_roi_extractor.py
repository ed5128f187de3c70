"""Adaptive RoI level assignment of CenterMask (Eq. 2)."""
import math
from typing import List, Optional, Sequence, Tuple, Union

import torch
from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor
from torch import Tensor

from ....registry import MODELS

ImgShapes = Sequence[Union[dict, Tuple[int, int]]]


def adaptive_roi_levels(rois: Tensor, img_areas: Tensor, min_level: int,
                        max_level: int) -> Tensor:
    """CenterMask's Eq. 2: the pyramid level of each RoI from its share of
    its image, ``k = ceil(k_max - log2(A_input / A_RoI))`` clamped to
    ``[k_min, k_max]``.

    Args:
        rois (Tensor): (n, 5) RoIs ``(batch index, x1, y1, x2, y2)``.
        img_areas (Tensor): (B,) ``A_input`` of each image.
        min_level, max_level (int): k_min and k_max (3 and 5 on P3-P5).

    Returns:
        Tensor: (n,) long level index, 0 for k_min.
    """
    img_area = img_areas.to(rois.device)[rois[:, 0].long()]
    roi_area = (rois[:, 3] - rois[:, 1]) * (rois[:, 4] - rois[:, 2])
    # a zero-area RoI gives log2(inf) and lands on k_min
    k = torch.ceil(max_level - torch.log2(img_area / roi_area))
    k = k.clamp(min=min_level, max=max_level)
    return (k - min_level).long()


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
    hand to their extractors: the caller passes them to ``forward`` as
    ``img_shapes`` (:class:`CenterMaskRoIHead` does).

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
        # set only for the duration of one forward (see forward)
        self._img_areas: Optional[Tensor] = None

    def map_roi_levels(self, rois: Tensor, num_levels: int) -> Tensor:
        """Level index (0 = finest input level) of each RoI ``(n, 5)``,
        by Eq. 2 with the image areas of the current ``forward``."""
        if self._img_areas is None:
            raise RuntimeError('AdaptiveRoIExtractor.map_roi_levels runs '
                               'inside forward(..., img_shapes=...)')
        if num_levels != self.max_level - self.min_level + 1:
            raise ValueError(f'{num_levels} feature levels given for strides '
                             f'{self.featmap_strides}')
        return adaptive_roi_levels(rois, self._img_areas, self.min_level,
                                   self.max_level)

    def forward(self,
                feats: Tuple[Tensor],
                rois: Tensor,
                roi_scale_factor: Optional[float] = None,
                img_shapes: Optional[ImgShapes] = None) -> Tensor:
        """RoI features of the RoIs on their Eq. 2 levels.

        Args:
            feats (tuple[Tensor]): (B, C, H_l, W_l) per level.
            rois (Tensor): (n, 5) RoIs ``(batch index, x1, y1, x2, y2)``.
            roi_scale_factor (float, optional): as ``SingleRoIExtractor``.
            img_shapes (Sequence[dict | tuple]): per image its resized,
                unpadded ``img_shape`` (image metas, or ``(h, w)`` pairs).

        Returns:
            Tensor: (n, out_channels, *out_size) RoI features.
        """
        if img_shapes is None:
            raise ValueError(
                'AdaptiveRoIExtractor needs the resized image shapes: pass '
                'img_shapes (the batch img_metas or (h, w) pairs) to forward,'
                ' or use a RoI head that does (CenterMaskRoIHead)')
        areas = [(s['img_shape'] if isinstance(s, dict) else s)[:2]
                 for s in img_shapes]
        # mmdet's SingleRoIExtractor.forward calls map_roi_levels(rois,
        # num_levels) without the metas: they reach it through this
        # attribute, set for this call only
        self._img_areas = torch.tensor([float(h * w) for h, w in areas])
        try:
            return super().forward(feats, rois, roi_scale_factor)
        finally:
            self._img_areas = None
