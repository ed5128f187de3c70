"""A detection visualizer that draws small images upscaled.

mmdet's :class:`DetLocalVisualizer` draws boxes, masks and labels at the
image's own size, with fonts between 6 and 13 px picked from each box's
area. On the 128x128 shapes images that gives thumbnails whose labels hide
the objects. :class:`ScaledDetLocalVisualizer` first enlarges the image and
every instance (boxes, masks) by an integer factor, then lets mmdet draw,
so masks keep their pixel outline and labels are legible.
"""
import math
from typing import Optional, Tuple

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import BaseBoxes
from mmdet.structures.mask import BitmapMasks, PolygonMasks
from mmdet.visualization import DetLocalVisualizer, get_palette
from mmengine.dist import master_only
from mmengine.structures import InstanceData, PixelData

from mmseginst.registry import VISUALIZERS


def scale_factor_for(hw: Tuple[int, int], scale: Optional[float],
                     min_size: int) -> float:
    """The factor an image of size ``hw`` is drawn at: ``scale`` when
    given, else the largest integer that keeps its short side within
    ``min_size`` (at least 1: large images are drawn as they are)."""
    if scale is not None:
        if scale <= 0:
            raise ValueError(f'scale must be > 0, got {scale}')
        return float(scale)
    return float(max(1, min_size // max(1, min(hw))))


def _scaled_masks(masks, factor: float, hw: Tuple[int, int]):
    """Masks (Tensor (N, H, W), ndarray or mmdet masks) at size ``hw``."""
    if isinstance(masks, (BitmapMasks, PolygonMasks)):
        return masks.resize(hw)
    as_numpy = isinstance(masks, np.ndarray)
    tensor = torch.as_tensor(masks)
    if tensor.numel() == 0:
        out = tensor.new_zeros((tensor.shape[0], *hw))
    else:
        out = F.interpolate(tensor[None].float(), size=hw, mode='nearest')[0]
        out = out > 0.5 if tensor.dtype == torch.bool else out.to(
            tensor.dtype)
    return out.numpy() if as_numpy else out


def scale_instances(instances: InstanceData, factor: float,
                    hw: Tuple[int, int]) -> InstanceData:
    """A copy of ``instances`` with ``bboxes`` (a tensor, also for mmdet's
    box types) multiplied by ``factor`` and ``masks`` resized to ``hw``
    (nearest neighbour)."""
    out = instances.clone()
    if 'bboxes' in out:
        boxes = out.bboxes
        if isinstance(boxes, BaseBoxes):
            boxes = boxes.tensor  # what mmdet's drawing expects
        out.bboxes = boxes * factor
    if 'masks' in out and factor != 1:
        out.masks = _scaled_masks(out.masks, factor, hw)
    return out


def scale_data_sample(sample: DetDataSample, factor: float,
                      hw: Tuple[int, int]) -> DetDataSample:
    """A copy of ``sample`` whose instances and pixel maps are at ``hw``."""
    out = sample.clone()
    for key in ('gt_instances', 'pred_instances'):
        if key in out:
            setattr(out, key, scale_instances(getattr(out, key), factor, hw))
    for key in ('gt_sem_seg', 'pred_sem_seg', 'gt_panoptic_seg',
                'pred_panoptic_seg'):
        if key in out and factor != 1:
            pixels = getattr(out, key)
            scaled = PixelData(metainfo=pixels.metainfo)
            for name, value in pixels.items():
                scaled.set_field(_scaled_masks(value, factor, hw), name)
            setattr(out, key, scaled)
    return out


@VISUALIZERS.register_module()
class ScaledDetLocalVisualizer(DetLocalVisualizer):
    """:class:`DetLocalVisualizer` that draws on an enlarged image.

    Args:
        name (str): Name of the instance. Defaults to 'visualizer'.
        scale (float, optional): Drawing scale. None (default): the largest
            integer factor that keeps the short side within ``min_size``.
        min_size (int): Short side the automatic factor aims at. Defaults to
            512 (a 128x128 shapes image is drawn at 512x512; images whose
            short side is over 256 px are drawn at their size).
        **kwargs: Arguments of :class:`DetLocalVisualizer`.

    The palette of ``dataset_meta`` is extended with mmdet's random colours
    when the dataset has more classes than colours (``--classes``).
    """

    def __init__(self,
                 name: str = 'visualizer',
                 scale: Optional[float] = None,
                 min_size: int = 512,
                 **kwargs) -> None:
        super().__init__(name=name, **kwargs)
        scale_factor_for((1, 1), scale, min_size)  # validates scale
        self.scale = scale
        self.min_size = min_size

    @property  # type: ignore
    @master_only
    def dataset_meta(self) -> Optional[dict]:
        return self._dataset_meta

    @dataset_meta.setter  # type: ignore
    @master_only
    def dataset_meta(self, dataset_meta: Optional[dict]) -> None:
        meta = dict(dataset_meta or {})
        palette, classes = meta.get('palette'), meta.get('classes')
        if isinstance(palette, list) and classes is not None and \
                len(palette) < len(classes):
            extra = get_palette('random', len(classes))
            meta['palette'] = list(palette) + extra[len(palette):]
        self._dataset_meta = meta

    @master_only
    def add_datasample(self,
                       name: str,
                       image: np.ndarray,
                       data_sample: Optional[DetDataSample] = None,
                       *args,
                       **kwargs) -> None:
        """Enlarge ``image`` and ``data_sample`` by the drawing factor,
        then draw them as :meth:`DetLocalVisualizer.add_datasample`."""
        factor = scale_factor_for(image.shape[:2], self.scale, self.min_size)
        h, w = image.shape[:2]
        hw = (int(math.floor(h * factor + 0.5)),
              int(math.floor(w * factor + 0.5)))
        if factor != 1:
            image = cv2.resize(image, hw[::-1], interpolation=cv2.INTER_LINEAR)
        if data_sample is not None:
            data_sample = scale_data_sample(data_sample, factor, hw)
        super().add_datasample(name, image, data_sample, *args, **kwargs)


def scaled_visualizer_cfg(vis_cfg: dict, scale: Optional[float]) -> dict:
    """A copy of a ``visualizer`` config that draws at ``scale`` (None:
    automatic): mmdet's ``DetLocalVisualizer`` becomes
    :class:`ScaledDetLocalVisualizer` with the same arguments.

    Raises:
        ValueError: The config names another visualizer, which has no
            drawing scale.
    """
    out = dict(vis_cfg)
    kind = out.get('type', 'DetLocalVisualizer')
    kind = kind if isinstance(kind, str) else kind.__name__
    if kind.split('.')[-1] not in ('DetLocalVisualizer',
                                   'ScaledDetLocalVisualizer'):
        raise ValueError(f'visualizer.type={kind!r} has no drawing scale; '
                         "use type='ScaledDetLocalVisualizer'")
    out['type'] = 'ScaledDetLocalVisualizer'
    if scale is not None:
        out['scale'] = scale
    return out
