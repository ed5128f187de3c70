"""Post-processing after the ONNX Runtime session, in plain PyTorch: each
function turns one image's graph outputs into mmdet's ``InstanceData`` with
``bboxes``, ``scores``, ``labels`` and ``masks`` (bool) at the original
image size, with the same rules as the PyTorch heads (what runs where:
docs/deployment.md)."""
from typing import Dict

import torch
import torch.nn.functional as F
from mmdet.models.roi_heads.mask_heads.fcn_mask_head import _do_paste_mask
from mmengine.structures import InstanceData
from torch import Tensor


def _scale(meta: dict) -> Tensor:
    """(w, h, w, h) scale factor of the test resize."""
    w_scale, h_scale = meta.get('scale_factor', (1.0, 1.0))[:2]
    return torch.tensor([w_scale, h_scale, w_scale, h_scale])


def paste_roi_masks(probs: Tensor, boxes: Tensor, out_shape: tuple,
                    thr: float) -> Tensor:
    """RoI-resolution probabilities (N, M, M) pasted into (N, h, w) bool
    masks by mmdet's ``_do_paste_mask`` (one detection at a time, as
    ``FCNMaskHead`` on CPU), kept where ``>= thr``."""
    height, width = out_shape
    masks = torch.zeros((probs.shape[0], height, width), dtype=torch.bool)
    for i in range(probs.shape[0]):
        pasted, region = _do_paste_mask(probs[i:i + 1, None],
                                        boxes[i:i + 1], height, width,
                                        skip_empty=True)
        masks[(slice(i, i + 1), ) + region] = pasted >= thr
    return masks


def roi_postprocess(outs: Dict[str, Tensor], meta: dict,
                    info: dict) -> InstanceData:
    """Two-stage detectors and CenterMask: boxes to the original image,
    RoI masks pasted (``FCNMaskHead.predict_by_feat``)."""
    res = InstanceData()
    res.bboxes = outs['boxes'] / _scale(meta)
    res.scores = outs['scores']
    res.labels = outs['labels'].long()
    res.masks = paste_roi_masks(outs['masks'], res.bboxes,
                                tuple(meta['ori_shape'][:2]),
                                info['mask_thr'])
    if 'mask_scores' in outs:
        res.mask_scores = outs['mask_scores']
    return res


def embedding_grid_postprocess(outs: Dict[str, Tensor], meta: dict,
                               info: dict) -> InstanceData:
    """EmbedMask: the box-bounded probabilities on the stride-s grid
    resampled (bilinear, ``align_corners=False``, scale s / rescale factor)
    to the original image and thresholded, as
    ``EmbedMaskPixelHead.predict_by_feat``."""
    w_scale, h_scale = meta['scale_factor'][:2]
    height, width = meta['ori_shape'][:2]
    probs = outs['masks']
    stride = info['mask_stride']
    # one replicated cell keeps the output at least as large as the image;
    # bilinear sampling clamps at the border, so values do not change
    probs = F.pad(probs[None], (0, 1, 0, 1), mode='replicate')
    up = F.interpolate(probs, scale_factor=(stride / h_scale,
                                            stride / w_scale),
                       mode='bilinear', align_corners=False)[0]
    res = InstanceData()
    res.bboxes = outs['boxes'] * torch.tensor(
        [1 / w_scale, 1 / h_scale, 1 / w_scale, 1 / h_scale])
    res.scores = outs['scores']
    res.labels = outs['labels'].long()
    res.masks = up[:, :height, :width] > info['mask_thr']
    return res


def saliency_grid_postprocess(outs: Dict[str, Tensor], meta: dict,
                              info: dict) -> InstanceData:
    """CenterMask-Point: assembled probabilities on the saliency grid
    resized to the network input, cut to the image, resized to the
    original size and thresholded; boxes rescaled and clipped, as
    ``GlobalSaliencyHead.predict_by_feat``."""
    inp_h, inp_w = meta['batch_input_shape']
    img_h, img_w = meta['img_shape'][:2]
    ori_h, ori_w = meta['ori_shape'][:2]
    probs = F.interpolate(outs['masks'][:, None], (inp_h, inp_w),
                          mode='bilinear', align_corners=False)
    probs = probs[:, :, :img_h, :img_w]
    if probs.shape[-2:] != (ori_h, ori_w):
        probs = F.interpolate(probs, (ori_h, ori_w), mode='bilinear',
                              align_corners=False)
    boxes = outs['boxes'] / _scale(meta)
    boxes[:, 0::2] = boxes[:, 0::2].clamp(0, ori_w)
    boxes[:, 1::2] = boxes[:, 1::2].clamp(0, ori_h)
    res = InstanceData()
    res.bboxes = boxes
    res.scores = outs['scores']
    res.labels = outs['labels'].long()
    res.masks = probs[:, 0] > info['mask_thr']
    return res


POSTPROCESS = dict(
    roi=roi_postprocess,
    embedding_grid=embedding_grid_postprocess,
    saliency_grid=saliency_grid_postprocess)
