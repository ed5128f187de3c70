"""FCOS as configured in centermask2 (and AdelaiDet), as a box proposer."""
from typing import List, Optional, Tuple

import torch
from mmdet.models.dense_heads import FCOSHead
from mmdet.models.utils import unpack_gt_instances
from mmdet.structures import SampleList
from mmdet.utils import InstanceList
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from torch import Tensor

from ...registry import MODELS


@MODELS.register_module()
class CenterMaskFCOSHead(FCOSHead):
    """mmdet's :class:`FCOSHead` with the inference of centermask2's FCOS.

    Training is mmdet's FCOS with the "improved" options that centermask2
    uses, set in the config: ``center_sampling=True`` (radius 1.5),
    ``centerness_on_reg=True``, ``norm_on_bbox=True`` (ReLU distances in
    stride units with a per-level Scale), GIoU loss weighted by the
    centerness targets and normalised by their sum, focal loss (0.25, 2)
    and centerness BCE normalised by the number of positives,
    ``conv_bias=True`` in the GN towers. What this class changes:

    * **Scoring** (``fcos_outputs.py``): per level, candidates are the
      (location, class) pairs with class probability > ``score_thr``; the
      ``nms_pre`` best by ``cls * ctr`` are kept; the box score is
      ``sqrt(cls * ctr)`` (mmdet keeps the product and ranks candidates by
      ``cls`` alone). Class-wise NMS (0.6) and ``max_per_img`` follow.
    * **Training proposals**: :meth:`loss_and_predict` decodes the same
      forward pass with the ``proposal`` config (top 100 per image at
      threshold 0.05) from *detached* predictions rescaled from stride units
      to pixels, which mmdet's FCOS head only does in eval mode.

    Outputs of ``forward``: per level ``cls (N, K, H, W)``,
    ``bbox (N, 4, H, W)`` and ``centerness (N, 1, H, W)``.
    """

    def loss_and_predict(
        self,
        x: Tuple[Tensor],
        batch_data_samples: SampleList,
        proposal_cfg: Optional[ConfigDict] = None
    ) -> Tuple[dict, InstanceList]:
        """FCOS losses and the detections used as training RoIs.

        Returns:
            tuple: ``losses`` (dict) and per-image ``InstanceData`` with
            detached ``bboxes``, ``scores``, ``labels`` in the coordinates
            of the resized image.
        """
        gts, gts_ignore, metas = unpack_gt_instances(batch_data_samples)
        cls_scores, bbox_preds, centernesses = self(x)
        losses = self.loss_by_feat(cls_scores, bbox_preds, centernesses, gts,
                                   metas, gts_ignore)
        if self.norm_on_bbox and self.training:
            bbox_preds = [b * s for b, s in zip(bbox_preds, self.strides)]
        with torch.no_grad():
            proposals = self.predict_by_feat(
                [c.detach() for c in cls_scores],
                [b.detach() for b in bbox_preds],
                [c.detach() for c in centernesses],
                batch_img_metas=metas,
                cfg=proposal_cfg)
        return losses, proposals

    def _predict_by_feat_single(self,
                                cls_score_list: List[Tensor],
                                bbox_pred_list: List[Tensor],
                                score_factor_list: List[Tensor],
                                mlvl_priors: List[Tensor],
                                img_meta: dict,
                                cfg: ConfigDict,
                                rescale: bool = False,
                                with_nms: bool = True) -> InstanceData:
        """Decode one image: per level ``cls (K, H, W)``, ``bbox (4, H, W)``
        (pixels), ``ctr (1, H, W)`` and priors ``(H*W, 2)``."""
        cfg = self.test_cfg if cfg is None else cfg
        score_thr = cfg.get('score_thr', 0.0)
        nms_pre = cfg.get('nms_pre', -1)
        bboxes, scores, labels = [], [], []
        for cls_score, bbox_pred, ctr, priors in zip(
                cls_score_list, bbox_pred_list, score_factor_list,
                mlvl_priors):
            cls_prob = cls_score.permute(1, 2, 0).reshape(
                -1, self.cls_out_channels).sigmoid()
            ctr = ctr.permute(1, 2, 0).reshape(-1).sigmoid()
            bbox_pred = bbox_pred.permute(1, 2, 0).reshape(-1, 4)
            loc, cls = (cls_prob > score_thr).nonzero(as_tuple=True)
            prod = cls_prob[loc, cls] * ctr[loc]
            if 0 < nms_pre < prod.numel():
                prod, keep = prod.topk(nms_pre)
                loc, cls = loc[keep], cls[keep]
            bboxes.append(
                self.bbox_coder.decode(
                    priors[loc], bbox_pred[loc],
                    max_shape=img_meta['img_shape']))
            scores.append(prod.sqrt())
            labels.append(cls)
        results = InstanceData(
            bboxes=torch.cat(bboxes), scores=torch.cat(scores),
            labels=torch.cat(labels))
        return self._bbox_post_process(
            results=results, cfg=cfg, rescale=rescale, with_nms=with_nms,
            img_meta=img_meta)
