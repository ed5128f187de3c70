"""CenterNet's random center crop-and-pad, with instance masks.

mmdet's :class:`RandomCenterCropPad` (CornerNet/CenterNet augmentation: pick
a scale from ``ratios``, a random center away from the border, crop a
``crop_size x scale`` window around it and paste it centered on a canvas
filled with the mean) refuses instance masks. CenterMask trains with the same
augmentation, so this subclass applies the identical geometry to
``gt_masks`` (bitmaps or polygons) and ``gt_seg_map`` (padded with
``seg_pad_val``); everything else is mmdet's.
"""
import numpy as np
from mmdet.datasets.transforms import RandomCenterCropPad
from mmdet.structures.mask import BitmapMasks

from ...registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomCenterCropPadWithMask(RandomCenterCropPad):
    """:class:`mmdet.datasets.transforms.RandomCenterCropPad` that also
    crops and pads ``gt_masks`` and ``gt_seg_map`` in training mode (test
    mode only pads the image and records ``border``, as in mmdet).

    Required keys: img, gt_bboxes, gt_bboxes_labels, gt_masks (optional),
    gt_seg_map (optional, (H, W) like the image).
    Modified keys: img, img_shape, gt_bboxes, gt_bboxes_labels,
    gt_ignore_flags, gt_masks, gt_seg_map.

    Args:
        seg_pad_val (int): Value of the padded ``gt_seg_map`` pixels (255,
            the ignore index of mmdet's semantic heads).
        *args, **kwargs: mmdet's ``RandomCenterCropPad`` arguments.
    """

    def __init__(self, *args, seg_pad_val: int = 255, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.seg_pad_val = seg_pad_val

    def _crop_image_and_paste(self, image, center, size):
        cropped_img, border, patch = super()._crop_image_and_paste(
            image, center, size)
        # remember the geometry of the crop that mmdet finally keeps
        self._last_crop = (center, size, patch)
        return cropped_img, border, patch

    def _train_aug(self, results: dict) -> dict:
        masks = results.pop('gt_masks', None)
        seg_map = results.pop('gt_seg_map', None)
        if masks is None and seg_map is None:
            return super()._train_aug(results)
        if masks is not None and len(masks) != len(results['gt_bboxes']):
            raise ValueError(f'{len(masks)} gt_masks for '
                             f'{len(results["gt_bboxes"])} gt_bboxes')
        if seg_map is not None and \
                seg_map.shape[:2] != results['img'].shape[:2]:
            raise ValueError(f'gt_seg_map has shape {seg_map.shape[:2]} but '
                             f'the image {results["img"].shape[:2]}')
        # mmdet filters labels alongside the boxes it keeps; give it the
        # instance indices instead to learn which masks survive.
        labels = results.get('gt_bboxes_labels')
        results['gt_bboxes_labels'] = np.arange(
            len(results['gt_bboxes']), dtype=np.int64)
        results = super()._train_aug(results)
        kept = results['gt_bboxes_labels']
        if labels is not None:
            results['gt_bboxes_labels'] = labels[kept]
        else:
            del results['gt_bboxes_labels']

        (center_y, center_x), (new_h, new_w), patch = self._last_crop
        x0, y0, x1, y1 = (int(v) for v in patch)
        # the patch's top-left lands here on the new canvas (mmdet's geometry)
        top = new_h // 2 - (center_y - y0)
        left = new_w // 2 - (center_x - x0)
        if masks is not None:
            masks = masks.crop(np.asarray(patch))
            if isinstance(masks, BitmapMasks):
                masks = masks.expand(new_h, new_w, top, left)
            else:
                masks = masks.translate((new_h, new_w), left, 'horizontal')
                masks = masks.translate((new_h, new_w), top, 'vertical')
            results['gt_masks'] = masks[kept]
        if seg_map is not None:
            canvas = np.full((new_h, new_w) + seg_map.shape[2:],
                             self.seg_pad_val, dtype=seg_map.dtype)
            canvas[top:top + y1 - y0, left:left + x1 - x0] = \
                seg_map[y0:y1, x0:x1]
            results['gt_seg_map'] = canvas
        return results
