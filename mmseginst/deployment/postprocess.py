"""Post-processing after the ONNX Runtime session, in plain PyTorch: each
function turns one image's graph outputs into mmdet's ``InstanceData`` with
``bboxes``, ``scores``, ``labels`` and ``masks`` (bool) at the original
image size, with the same rules as the PyTorch heads (what runs where:
docs/deployment.md)."""
from typing import Dict

import torch
import torch.nn.functional as F
from mmdet.models.roi_heads.mask_heads.fcn_mask_head import _do_paste_mask
from mmdet.structures.bbox import scale_boxes
from mmengine.structures import InstanceData
from torch import Tensor

from ..models.dense_heads.global_saliency_head import GlobalSaliencyHead
from ..models.layers import (boxes_to_grid_regions, official_mask_shapes,
                             threshold_log_prob_maps)
from ..models.utils import rescale_boxes_to_image


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
    """EmbedMask: the official test rule's last step on the graph's
    log-probability maps (bilinear resize of the stride-s grid to the
    official output size, crop to the original image, threshold at
    ``log(mask_thr)``), by the functions ``EmbedMaskPixelHead`` uses;
    boxes rescaled as its ``predict_by_feat``."""
    log_probs = outs['masks']
    grid_shape = tuple(log_probs.shape[-2:])
    out_shape, resized_shape = official_mask_shapes(
        grid_shape, info['mask_stride'], meta)
    regions = boxes_to_grid_regions(outs['boxes'], info['mask_stride'],
                                    info['mask_box_padding'], grid_shape)
    w_scale, h_scale = meta['scale_factor'][:2]
    res = InstanceData()
    res.bboxes = scale_boxes(outs['boxes'], (1 / w_scale, 1 / h_scale))
    res.scores = outs['scores']
    res.labels = outs['labels'].long()
    res.masks = threshold_log_prob_maps(log_probs, regions, out_shape,
                                        resized_shape, info['mask_thr'])
    return res


def saliency_grid_postprocess(outs: Dict[str, Tensor], meta: dict,
                              info: dict) -> InstanceData:
    """CenterMask-Point: assembled probabilities on the saliency grid
    resized to the network input, cut to the image (the ``border`` of a
    CenterNet test padding removed), resized to the original size and
    thresholded; boxes taken back to the original image, as
    ``GlobalSaliencyHead.predict_by_feat`` with ``rescale=True``."""
    top, bottom, left, right = GlobalSaliencyHead._content_region(meta)
    ori_h, ori_w = meta['ori_shape'][:2]
    probs = F.interpolate(outs['masks'][:, None],
                          tuple(meta['batch_input_shape']),
                          mode='bilinear', align_corners=False)
    probs = probs[:, :, top:bottom, left:right]
    if probs.shape[-2:] != (ori_h, ori_w):
        probs = F.interpolate(probs, (ori_h, ori_w), mode='bilinear',
                              align_corners=False)
    res = InstanceData()
    res.bboxes = rescale_boxes_to_image(outs['boxes'], meta)
    res.scores = outs['scores']
    res.labels = outs['labels'].long()
    res.masks = probs[:, 0] > info['mask_thr']
    return res


POSTPROCESS = dict(
    roi=roi_postprocess,
    embedding_grid=embedding_grid_postprocess,
    saliency_grid=saliency_grid_postprocess)
