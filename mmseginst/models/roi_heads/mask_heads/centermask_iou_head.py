"""MaskIoU head of CenterMask (mask scoring, from MS R-CNN)."""
from typing import List

import torch
from mmdet.models.roi_heads.mask_heads import MaskIoUHead
from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.utils import InstanceList
from mmengine.config import ConfigDict
from torch import Tensor

from ....registry import MODELS


@MODELS.register_module()
class CenterMaskIoUHead(MaskIoUHead):
    """Predicts, per class, the IoU of the predicted mask with its GT mask.

    Architecture (mmdet's :class:`MaskIoUHead`): RoI features
    ``(R, C, 14, 14)`` concatenated with the max-pooled mask probability of
    the GT (train) or predicted (test) class ``(R, 1, 14, 14)`` ->
    ``num_convs`` 3x3 convs (the last with stride 2) -> FC 1024 -> FC 1024
    -> ``(R, num_classes)``. CenterMask uses 4 x 256 convs, Lite 2 x 128.

    What differs from mmdet's head, following centermask2
    (``maskiou_head.py``, ``mask_head.py::mask_rcnn_loss``):

    * **Target**: the predicted 28x28 mask is binarised at probability
      ``mask_thr_binary`` (0.5, i.e. logit 0; mmdet compares the *logits*
      with 0.5). The union uses the full GT area, estimated as
      ``area(GT in RoI, 28x28) / ratio`` with ``ratio`` = GT area inside
      the RoI box / whole GT area (computed on bitmap or polygon masks by
      mmdet's ``crop``; the official code only handles polygons), clamped
      to [1e-10, 1], and the union is clamped to >= 1 pixel:

          IoU = |P & G| / max(|P| + |G| / ratio - |P & G|, 1)

    * **Loss**: ``loss_weight * 0.5 * (pred - IoU)^2`` averaged over the
      RoIs whose target is > 0 (mmdet's MSE with ``loss_weight=0.5``).
    * **Score**: ``predict_by_feat`` stores ``mask_scores = scores * IoU``
      of the predicted class and keeps the box ``scores``; mmdet's COCO,
      LVIS and Cityscapes metrics rank masks by ``mask_scores``.
    """

    def __init__(self,
                 init_cfg: list = [
                     dict(type='Kaiming', override=dict(name='convs')),
                     dict(type='Kaiming', override=dict(name='fcs')),
                     dict(type='Normal', std=0.01,
                          override=dict(name='fc_mask_iou'))
                 ],
                 **kwargs) -> None:
        super().__init__(init_cfg=init_cfg, **kwargs)

    def get_targets(self, sampling_results: List[SamplingResult],
                    batch_gt_instances: InstanceList, mask_preds: Tensor,
                    mask_targets: Tensor,
                    rcnn_train_cfg: ConfigDict) -> Tensor:
        """MaskIoU targets ``(R,)`` of the positive RoIs.

        Args:
            sampling_results (list[SamplingResult]): Per-image sampling.
            batch_gt_instances (list[InstanceData]): GT with ``masks``
                (BitmapMasks or PolygonMasks).
            mask_preds (Tensor): Mask logits of the GT class ``(R, 28, 28)``.
            mask_targets (Tensor): Binary GT masks in the RoIs ``(R, 28, 28)``.
            rcnn_train_cfg (ConfigDict): Reads ``mask_thr_binary``.
        """
        pos_proposals = [res.pos_priors for res in sampling_results]
        pos_gt_inds = [res.pos_assigned_gt_inds for res in sampling_results]
        gt_masks = [res.masks for res in batch_gt_instances]
        ratios = torch.cat([
            self._get_area_ratio(p, i, m)
            for p, i, m in zip(pos_proposals, pos_gt_inds, gt_masks)
        ])
        if ratios.numel() != mask_targets.size(0):
            raise ValueError(f'{ratios.numel()} area ratios for '
                             f'{mask_targets.size(0)} mask targets')
        return mask_iou_targets(
            mask_preds, mask_targets, ratios.to(mask_targets.device),
            rcnn_train_cfg.get('mask_thr_binary', 0.5))

    def predict_by_feat(self, mask_iou_preds: List[Tensor],
                        results_list: InstanceList) -> InstanceList:
        """Add ``mask_scores = scores * IoU[label]`` to each image's results.

        Args:
            mask_iou_preds (list[Tensor]): Per image ``(n_i, num_classes)``.
            results_list (list[InstanceData]): With ``scores``, ``labels``.
        """
        if len(mask_iou_preds) != len(results_list):
            raise ValueError(f'{len(mask_iou_preds)} MaskIoU predictions '
                             f'for {len(results_list)} images')
        for results, iou in zip(results_list, mask_iou_preds):
            index = torch.arange(len(results), device=iou.device)
            results.mask_scores = results.scores * iou[index, results.labels]
        return results_list


def mask_iou_targets(mask_logits: Tensor, gt_masks: Tensor,
                     area_ratios: Tensor, thr: float = 0.5) -> Tensor:
    """IoU of binarised predicted masks with GT masks whose union counts the
    whole GT instance (see :class:`CenterMaskIoUHead`).

    Args:
        mask_logits (Tensor): ``(R, M, M)`` logits.
        gt_masks (Tensor): ``(R, M, M)`` binary GT inside each RoI.
        area_ratios (Tensor): ``(R,)`` GT area inside the RoI / whole area.
        thr (float): Probability threshold of the prediction.

    Returns:
        Tensor: ``(R,)`` targets in [0, 1], without gradient.
    """
    with torch.no_grad():
        pred = (mask_logits.sigmoid() > thr).float()
        gt = gt_masks.float()
        overlap = (pred * gt).sum((-1, -2))
        gt_full = gt.sum((-1, -2)) / area_ratios.clamp(min=1e-10, max=1.0)
        union = (pred.sum((-1, -2)) + gt_full - overlap).clamp(min=1.0)
        return overlap / union
