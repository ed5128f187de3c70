"""Export wrapper of CenterMask: FCOS detections, SAG-Mask, MaskIoU."""
from typing import List, Tuple

import torch
from torch import Tensor

from ...models.roi_heads.roi_extractors.adaptive_roi_extractor import (
    AdaptiveRoIExtractor, adaptive_roi_levels)
from ..decode import clip_boxes, dense_nms, flatten_level, masked_topk
from ..ops import extract_roi_feats
from .base import DeployWrapper, register_wrapper
from .two_stage import boxes_to_rois, with_dummy_box


def centermask_fcos_detections(head, cls_scores: List[Tensor],
                               bbox_preds: List[Tensor],
                               centernesses: List[Tensor], img_shape: Tensor,
                               cfg: dict) -> Tuple[Tensor, Tensor, Tensor]:
    """:class:`CenterMaskFCOSHead` decoding: per level the (location,
    class) pairs with probability > ``score_thr``, the ``nms_pre`` best by
    ``cls * ctr``, score ``sqrt(cls * ctr)``; then class-wise NMS."""
    priors = head.prior_generator.grid_priors(
        [c.shape[-2:] for c in cls_scores],
        dtype=bbox_preds[0].dtype,
        device=bbox_preds[0].device)
    num_classes = head.cls_out_channels
    boxes, scores, labels = [], [], []
    for cls, reg, ctr, points in zip(cls_scores, bbox_preds, centernesses,
                                     priors):
        prob = flatten_level(cls).sigmoid()
        prod = prob * flatten_level(ctr).sigmoid()
        prod = torch.where(prob > cfg.get('score_thr', 0.0), prod,
                           prod.new_tensor(-1.))
        prod, inds = masked_topk(prod.reshape(-1), -1.0,
                                 cfg.get('nms_pre', -1))
        loc = torch.div(inds, num_classes, rounding_mode='floor')
        boxes.append(head.bbox_coder.decode(points[loc],
                                            flatten_level(reg)[loc]))
        scores.append(prod.sqrt())
        labels.append(inds % num_classes)
    boxes = clip_boxes(torch.cat(boxes), img_shape)
    scores, labels = torch.cat(scores), torch.cat(labels)
    keep = dense_nms(boxes, scores, labels, num_classes, cfg,
                     'CenterMask test_cfg')
    return boxes[keep], scores[keep], labels[keep]


@register_wrapper('CenterMask')
class CenterMaskWrapper(DeployWrapper):
    """FCOS (ONNX NMS), then SAG-Mask on the detections (ONNX RoiAlign on
    the level of CenterMask's Eq. 2) and the MaskIoU rescoring.

    Outputs: ``boxes`` (N, 4), ``scores`` (N, ), ``labels`` (N, ),
    ``masks`` (N, 28, 28) probabilities of the detected class and, with a
    MaskIoU head, ``mask_scores`` (N, ) = score x predicted IoU.
    """

    def __init__(self, model) -> None:
        super().__init__(model)
        if model.roi_head.with_mask_iou:
            self.output_names = self.output_names + ('mask_scores', )

    def forward(self, img: Tensor, img_shape: Tensor) -> Tuple[Tensor, ...]:
        model = self.model
        x = model.extract_feat(img)
        boxes, scores, labels = centermask_fcos_detections(
            model.bbox_head, *model.bbox_head(x), img_shape, model.test_cfg)
        roi_head = model.roi_head
        rois = boxes_to_rois(with_dummy_box(boxes))
        all_labels = torch.cat([labels, labels.new_zeros(1)])
        index = torch.arange(rois.shape[0])
        extractor = roi_head.mask_roi_extractor
        levels = None
        if isinstance(extractor, AdaptiveRoIExtractor):
            # Eq. 2 with the image area as a tensor: an input of the
            # graph, not a constant of the traced size
            levels = adaptive_roi_levels(
                rois, (img_shape[0] * img_shape[1]).reshape(1),
                extractor.min_level, extractor.max_level)
        feats = extract_roi_feats(extractor, x, rois, levels)
        logits = roi_head.mask_head(feats)
        probs = logits[index, all_labels][:-1].sigmoid()
        if not roi_head.with_mask_iou:
            return boxes, scores, labels, probs
        iou = roi_head._mask_iou_forward(
            dict(mask_preds=logits, mask_feats=feats), all_labels)
        mask_scores = scores * iou[index, all_labels][:-1]
        return boxes, scores, labels, probs, mask_scores

    def metadata(self) -> dict:
        return dict(mask_thr=float(self.model.test_cfg['mask_thr_binary']))
