"""Crop centred on a random instance (SpatialEmbeddings' training stage 1).

The original code cuts, once, a 512x512 crop around the centroid of every car
(top-left = centroid - 256, clipped so that the crop stays inside the image)
and trains on random draws of these crops. This transform cuts the same
crop online: it picks one non-ignored instance of the image uniformly at
random and crops around its mask centroid. With
:class:`~mmseginst.datasets.samplers.InstanceWeightedSampler` drawing images
in proportion to their instance count, every instance is equally likely, as
with the pre-cut crops.
"""
from typing import Optional, Tuple

import numpy as np
from mmdet.datasets.transforms import RandomCrop

from ...registry import TRANSFORMS


@TRANSFORMS.register_module()
class InstanceCenteredCrop(RandomCrop):
    """Crop ``crop_size`` (h, w) around the mask centroid of a random
    instance; a uniformly random crop when the image has none.

    Required keys: ``img``, ``gt_masks``; modified as by mmdet's
    :class:`RandomCrop` (boxes recomputed from the cropped masks, instances
    outside the crop dropped, ``img_shape`` updated).

    Args:
        crop_size (tuple[int, int]): (h, w) in pixels.
        recompute_bbox (bool): Boxes from the cropped masks (True).
        bbox_clip_border (bool): Clip boxes to the crop (True).
    """

    def __init__(self,
                 crop_size: Tuple[int, int],
                 recompute_bbox: bool = True,
                 bbox_clip_border: bool = True) -> None:
        super().__init__(
            crop_size=tuple(crop_size),
            crop_type='absolute',
            allow_negative_crop=True,
            recompute_bbox=recompute_bbox,
            bbox_clip_border=bbox_clip_border)
        self._centroid: Optional[Tuple[float, float]] = None

    def _pick_centroid(self, results: dict) -> Optional[Tuple[float, float]]:
        masks = results.get('gt_masks')
        if masks is None or len(masks) == 0:
            return None
        ignore = results.get('gt_ignore_flags')
        choices = np.arange(len(masks)) if ignore is None else \
            np.flatnonzero(~np.asarray(ignore, dtype=bool))
        if len(choices) == 0:
            return None
        k = int(np.random.choice(choices))
        ys, xs = np.nonzero(masks[[k]].to_ndarray()[0])
        if len(ys) == 0:
            return None
        return float(ys.mean()), float(xs.mean())

    def _rand_offset(self, margin: Tuple[int, int]) -> Tuple[int, int]:
        if self._centroid is None:
            return super()._rand_offset(margin)
        (ym, xm), (ch, cw) = self._centroid, self.crop_size
        # top-left = centroid - half the crop, clipped to the image and
        # truncated to int as in the original crop generation
        return (int(np.clip(ym - ch / 2, 0, margin[0])),
                int(np.clip(xm - cw / 2, 0, margin[1])))

    def transform(self, results: dict) -> Optional[dict]:
        self._centroid = self._pick_centroid(results)
        try:
            return self._crop_data(results, self.crop_size, True)
        finally:
            self._centroid = None

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(crop_size={self.crop_size}, '
                f'recompute_bbox={self.recompute_bbox})')

