"""Export wrapper of the two-stage detectors: Mask R-CNN and RefineMask."""
from typing import Tuple

import torch
from torch import Tensor

from ..decode import bbox_head_detections, rpn_proposals
from ..ops import extract_roi_feats
from .base import DeployWrapper, register_wrapper


def boxes_to_rois(boxes: Tensor) -> Tensor:
    """(N, 4) boxes of image 0 -> (N, 5) RoIs ``(0, x1, y1, x2, y2)``."""
    return torch.cat([boxes.new_zeros((boxes.shape[0], 1)), boxes], dim=1)


def with_dummy_box(boxes: Tensor) -> Tensor:
    """Append one box so that the RoI branch never runs on zero RoIs (ONNX
    Runtime's convolutions reject empty batches); its output is dropped."""
    return torch.cat([boxes, boxes.new_tensor([[0., 0., 1., 1.]])])


@register_wrapper('MaskRCNN', 'TwoStageDetector')
class TwoStageWrapper(DeployWrapper):
    """Backbone, neck, RPN (proposals with ONNX NMS), RoI box head
    (class-wise ONNX NMS) and the mask head on the detections.

    Outputs: ``boxes`` (N, 4) in the resized image, ``scores`` (N, ),
    ``labels`` (N, ), ``masks`` (N, M, M) mask probabilities of the
    detected class at RoI resolution (28x28 for Mask R-CNN; RefineMask's
    composed 56 or 112 output), pasted by the runtime.
    """

    def forward(self, img: Tensor, img_shape: Tensor) -> Tuple[Tensor, ...]:
        model = self.model
        x = model.extract_feat(img)
        cls_scores, bbox_preds = model.rpn_head(x)
        proposals = rpn_proposals(model.rpn_head, cls_scores, bbox_preds,
                                  img_shape, model.test_cfg['rpn'])
        rois = boxes_to_rois(proposals)
        roi_head = model.roi_head
        feats = extract_roi_feats(roi_head.bbox_roi_extractor, x, rois)
        if roi_head.with_shared_head:
            feats = roi_head.shared_head(feats)
        cls_score, bbox_pred = roi_head.bbox_head(feats)
        boxes, scores, labels = bbox_head_detections(
            roi_head.bbox_head, rois, cls_score, bbox_pred, img_shape,
            model.test_cfg['rcnn'])
        return boxes, scores, labels, self.mask_probs(x, boxes, labels)

    def mask_probs(self, x: Tuple[Tensor], boxes: Tensor,
                   labels: Tensor) -> Tensor:
        """(N, M, M) probabilities of each detection's class."""
        roi_head = self.model.roi_head
        rois = boxes_to_rois(with_dummy_box(boxes))
        labels = torch.cat([labels, labels.new_zeros(1)])
        extractor = roi_head.bbox_roi_extractor \
            if roi_head.share_roi_extractor else roi_head.mask_roi_extractor
        feats = extract_roi_feats(extractor, x, rois)
        if roi_head.with_shared_head:
            feats = roi_head.shared_head(feats)
        if hasattr(roi_head, 'semantic_head'):  # RefineMask
            semantic_feat, semantic_pred = roi_head.semantic_head(x[0])
            logits = roi_head.mask_head.refine(
                roi_head.mask_head(feats, semantic_feat, semantic_pred, rois,
                                   labels))[:, 0]
        else:
            logits = roi_head.mask_head(feats)
            if roi_head.mask_head.class_agnostic:
                logits = logits[:, 0]
            else:
                logits = logits[torch.arange(rois.shape[0]), labels]
        return logits[:-1].sigmoid()

    def metadata(self) -> dict:
        return dict(mask_thr=float(
            self.model.test_cfg['rcnn']['mask_thr_binary']))
