"""RoI head of CenterMask: SAG-Mask and MaskIoU on one-stage detections."""
from typing import List, Optional, Tuple

import torch
from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.models.utils import empty_instances, unpack_gt_instances
from mmdet.structures import SampleList
from mmdet.structures.bbox import bbox2roi
from mmdet.utils import ConfigType, InstanceList, OptConfigType
from mmengine.structures import InstanceData
from torch import Tensor

from ...registry import MODELS
from .roi_extractors import AdaptiveRoIExtractor


@MODELS.register_module()
class CenterMaskRoIHead(StandardRoIHead):
    """Mask branch of CenterMask (centermask2's ``CenterROIHeads``).

    There is no box head: the boxes come from FCOS. Training RoIs are the
    FCOS top-100 detections of each image plus its GT boxes (the sampler's
    ``add_gt_as_proposals``), matched to GT at IoU 0.5 and sampled 512 per
    image with at most 25% positives; only the positives get the mask loss
    and the MaskIoU loss. At test time the (top-50) detections are the RoIs.

    RoI features ``(R, C, 14, 14)`` come from ``mask_roi_extractor`` on
    P3-P5 (:class:`AdaptiveRoIExtractor` for CenterMask's Eq. 2, or mmdet's
    ``SingleRoIExtractor`` for FPN's Eq. 1); the adaptive rule gets the
    image shapes from this head as an argument. ``mask_head`` is
    :class:`SAGMaskHead`; ``mask_iou_head`` (optional, "w/o MaskIoU"
    ablation when None) is :class:`CenterMaskIoUHead`, whose prediction
    multiplies the detection score into ``mask_scores``.

    Args:
        mask_roi_extractor (dict): RoI extractor config.
        mask_head (dict): Mask head config.
        mask_iou_head (dict, optional): MaskIoU head config.
        train_cfg (dict, optional): ``assigner``, ``sampler``,
            ``mask_size`` (28) and ``mask_thr_binary`` (0.5, MaskIoU target).
        test_cfg (dict, optional): ``mask_thr_binary`` (0.5).
    """

    def __init__(self,
                 mask_roi_extractor: ConfigType,
                 mask_head: ConfigType,
                 mask_iou_head: OptConfigType = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(
            mask_roi_extractor=mask_roi_extractor,
            mask_head=mask_head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            init_cfg=init_cfg)
        self.mask_iou_head = MODELS.build(mask_iou_head) \
            if mask_iou_head is not None else None

    @property
    def with_mask_iou(self) -> bool:
        return self.mask_iou_head is not None

    def forward(self,
                x: Tuple[Tensor],
                rpn_results_list: InstanceList,
                batch_data_samples: Optional[SampleList] = None) -> tuple:
        """Tensors of the mask branch on the given boxes (no post-process):
        mask logits ``(R, K, 28, 28)`` and, with MaskIoU, ``(R, K)``."""
        rois = bbox2roi([res.bboxes for res in rpn_results_list])
        metas = None if batch_data_samples is None else \
            [s.metainfo for s in batch_data_samples]
        mask_results = self._mask_forward(x, rois, metas)
        outs = (mask_results['mask_preds'], )
        if self.with_mask_iou:
            labels = torch.cat([res.labels for res in rpn_results_list])
            outs += (self._mask_iou_forward(mask_results, labels), )
        return outs

    def _mask_forward(self,
                      x: Tuple[Tensor],
                      rois: Tensor,
                      batch_img_metas: Optional[List[dict]] = None) -> dict:
        """Mask logits ``mask_preds`` (R, K, 28, 28) and RoI features
        ``mask_feats`` of ``rois`` (R, 5); the image metas give
        :class:`AdaptiveRoIExtractor` its ``A_input`` (Eq. 2)."""
        feats = x[:self.mask_roi_extractor.num_inputs]
        if isinstance(self.mask_roi_extractor, AdaptiveRoIExtractor):
            mask_feats = self.mask_roi_extractor(
                feats, rois, img_shapes=batch_img_metas)
        else:
            mask_feats = self.mask_roi_extractor(feats, rois)
        return dict(
            mask_preds=self.mask_head(mask_feats), mask_feats=mask_feats)

    def _mask_iou_forward(self, mask_results: dict, labels: Tensor) -> Tensor:
        """MaskIoU ``(R, K)`` of all classes, fed the mask of ``labels``."""
        preds = mask_results['mask_preds']
        index = torch.arange(preds.size(0), device=preds.device)
        return self.mask_iou_head(mask_results['mask_feats'],
                                  preds[index, labels])

    def loss(self, x: Tuple[Tensor], rpn_results_list: InstanceList,
             batch_data_samples: SampleList) -> dict:
        """Assign and sample the detections, then the mask (and MaskIoU)
        losses of the positives.

        Args:
            x (tuple[Tensor]): Features of P3-P5 (or what the extractor reads).
            rpn_results_list (list[InstanceData]): Per image ``bboxes``
                (detached FCOS detections, resized-image coordinates).
            batch_data_samples (list[DetDataSample]): GT and metas.
        """
        if len(rpn_results_list) != len(batch_data_samples):
            raise ValueError(f'{len(rpn_results_list)} proposal lists for '
                             f'{len(batch_data_samples)} images')
        gts, gts_ignore, metas = unpack_gt_instances(batch_data_samples)
        sampling_results = []
        for i, results in enumerate(rpn_results_list):
            proposals = InstanceData(priors=results.bboxes.detach())
            assign_result = self.bbox_assigner.assign(proposals, gts[i],
                                                      gts_ignore[i])
            sampling_results.append(
                self.bbox_sampler.sample(assign_result, proposals, gts[i]))
        mask_results = self.mask_loss(x, sampling_results, None, gts, metas)
        return mask_results['loss_mask']

    def mask_loss(self, x: Tuple[Tensor],
                  sampling_results: List[SamplingResult],
                  bbox_feats: Optional[Tensor],
                  batch_gt_instances: InstanceList,
                  batch_img_metas: Optional[List[dict]] = None) -> dict:
        """Mask loss of the positive RoIs, plus ``loss_mask_iou``."""
        pos_rois = bbox2roi([res.pos_priors for res in sampling_results])
        mask_results = self._mask_forward(x, pos_rois, batch_img_metas)
        loss_and_target = self.mask_head.loss_and_target(
            mask_preds=mask_results['mask_preds'],
            sampling_results=sampling_results,
            batch_gt_instances=batch_gt_instances,
            rcnn_train_cfg=self.train_cfg)
        losses = loss_and_target['loss_mask']
        if self.with_mask_iou:
            labels = torch.cat([res.pos_gt_labels for res in sampling_results])
            iou_preds = self._mask_iou_forward(mask_results, labels)
            index = torch.arange(labels.numel(), device=labels.device)
            preds = mask_results['mask_preds'][index, labels]
            losses.update(
                self.mask_iou_head.loss_and_target(
                    iou_preds[index, labels], preds,
                    loss_and_target['mask_targets'], sampling_results,
                    batch_gt_instances, self.train_cfg))
        mask_results.update(loss_mask=losses)
        return mask_results

    def predict(self,
                x: Tuple[Tensor],
                rpn_results_list: InstanceList,
                batch_data_samples: SampleList,
                rescale: bool = False) -> InstanceList:
        """Masks (and ``mask_scores``) for the given detections; with
        ``rescale`` boxes and masks go to the original image size."""
        metas = [s.metainfo for s in batch_data_samples]
        return self.predict_mask(x, metas, rpn_results_list, rescale)

    def predict_mask(self,
                     x: Tuple[Tensor],
                     batch_img_metas: List[dict],
                     results_list: InstanceList,
                     rescale: bool = False) -> InstanceList:
        rois = bbox2roi([res.bboxes for res in results_list])
        if rois.shape[0] == 0:  # no detection in the whole batch
            results_list = empty_instances(
                batch_img_metas, rois.device, task_type='mask',
                instance_results=results_list,
                mask_thr_binary=self.test_cfg.mask_thr_binary)
            if self.with_mask_iou:
                for res in results_list:
                    res.mask_scores = res.scores
            return results_list
        mask_results = self._mask_forward(x, rois, batch_img_metas)
        num_per_img = [len(res) for res in results_list]
        if self.with_mask_iou:
            labels = torch.cat([res.labels for res in results_list])
            iou_preds = self._mask_iou_forward(mask_results, labels)
            iou_preds = iou_preds.split(num_per_img, 0)
        results_list = self.mask_head.predict_by_feat(
            mask_preds=mask_results['mask_preds'].split(num_per_img, 0),
            results_list=results_list,
            batch_img_metas=batch_img_metas,
            rcnn_test_cfg=self.test_cfg,
            rescale=rescale)
        if self.with_mask_iou:
            results_list = self.mask_iou_head.predict_by_feat(
                iou_preds, results_list)
        return results_list
