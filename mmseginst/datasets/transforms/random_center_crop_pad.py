"""CenterNet's random center crop-and-pad, with instance masks.

mmdet's :class:`RandomCenterCropPad` (CornerNet/CenterNet augmentation: pick
a scale from ``ratios``, a random center away from the border, crop a
``crop_size x scale`` window around it and paste it centered on a canvas
filled with the mean) refuses instance masks. CenterMask trains with the same
augmentation, so this subclass applies the identical geometry to
``gt_masks`` (bitmaps or polygons); everything else is mmdet's.
"""
import numpy as np
from mmdet.datasets.transforms import RandomCenterCropPad
from mmdet.structures.mask import BitmapMasks

from mmseginst.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomCenterCropPadWithMask(RandomCenterCropPad):
    """:class:`mmdet.datasets.transforms.RandomCenterCropPad` that also
    crops and pads ``gt_masks`` in training mode (test mode only pads the
    image and records ``border``, as in mmdet).

    Required keys: img, gt_bboxes, gt_bboxes_labels, gt_masks (optional).
    Modified keys: img, img_shape, gt_bboxes, gt_bboxes_labels,
    gt_ignore_flags, gt_masks.
    """

    def _crop_image_and_paste(self, image, center, size):
        cropped_img, border, patch = super()._crop_image_and_paste(
            image, center, size)
        # remember the geometry of the crop that mmdet finally keeps
        self._last_crop = (center, size, patch)
        return cropped_img, border, patch

    def _train_aug(self, results: dict) -> dict:
        masks = results.pop('gt_masks', None)
        if masks is None:
            return super()._train_aug(results)
        if 'gt_seg_map' in results:
            raise NotImplementedError(
                'RandomCenterCropPadWithMask does not crop gt_seg_map')
        if len(masks) != len(results['gt_bboxes']):
            raise ValueError(f'{len(masks)} gt_masks for '
                             f'{len(results["gt_bboxes"])} gt_bboxes')
        # mmdet filters labels alongside the boxes it keeps; give it the
        # instance indices instead to learn which masks survive.
        labels = results.get('gt_bboxes_labels')
        results['gt_bboxes_labels'] = np.arange(len(masks), dtype=np.int64)
        results = super()._train_aug(results)
        kept = results['gt_bboxes_labels']
        if labels is not None:
            results['gt_bboxes_labels'] = labels[kept]
        else:
            del results['gt_bboxes_labels']

        (center_y, center_x), (new_h, new_w), patch = self._last_crop
        x0, y0 = int(patch[0]), int(patch[1])
        # the patch's top-left lands here on the new canvas (mmdet's geometry)
        top = new_h // 2 - (center_y - y0)
        left = new_w // 2 - (center_x - x0)
        masks = masks.crop(np.asarray(patch))
        if isinstance(masks, BitmapMasks):
            masks = masks.expand(new_h, new_w, top, left)
        else:
            masks = masks.translate((new_h, new_w), left, 'horizontal')
            masks = masks.translate((new_h, new_w), top, 'vertical')
        results['gt_masks'] = masks[kept]
        return results
