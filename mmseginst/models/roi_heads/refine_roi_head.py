"""RoI head of RefineMask (Zhang et al., CVPR 2021): mmdet's
StandardRoIHead with a semantic head on P2 whose features (and foreground
logits) every refinement stage of the mask head pools.

Differences with the official mmdet 2.3 code: any test batch size (the RoIs
of all images go through the heads together, issue #16 there) and the RoIs
processed in chunks (``mask_chunk_size``, 100 there) to bound memory.
"""
from typing import List, Optional, Tuple

import torch
from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.models.utils import empty_instances
from mmdet.structures.bbox import bbox2roi
from mmdet.utils import ConfigType, InstanceList
from torch import Tensor

from ...registry import MODELS


@MODELS.register_module()
class RefineRoIHead(StandardRoIHead):
    """StandardRoIHead + semantic head for RefineMask heads.

    The semantic head reads ``x[0]`` (P2), whose stride is the first of the
    mask RoI extractor's ``featmap_strides``.

    Args:
        semantic_head (dict): Config of :class:`RefineSemanticHead`.
        mask_chunk_size (int): RoIs per mask-head call at inference.
            Defaults to 100.
        **kwargs: Arguments of :class:`StandardRoIHead`; a
            ``mask_roi_extractor`` of its own is required.
    """

    def __init__(self,
                 semantic_head: ConfigType,
                 mask_chunk_size: int = 100,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if not self.with_mask or self.share_roi_extractor:
            raise ValueError('RefineRoIHead needs a mask_head and a '
                             'mask_roi_extractor')
        if mask_chunk_size < 1:
            raise ValueError(f'mask_chunk_size must be >= 1, got '
                             f'{mask_chunk_size}')
        self.semantic_head = MODELS.build(semantic_head)
        self.semantic_stride = self.mask_roi_extractor.featmap_strides[0]
        self.mask_chunk_size = mask_chunk_size
        roi_size = tuple(self.mask_roi_extractor.roi_layers[0].output_size)
        first = self.mask_head.stage_sup_size[0]
        if roi_size != (first, first):
            raise ValueError(
                f'mask_roi_extractor output_size {roi_size} must equal the '
                f'first stage_sup_size of the mask head ({first})')
        if self.mask_head.semantic_stride != self.semantic_stride:
            raise ValueError(
                f'mask_head.semantic_stride={self.mask_head.semantic_stride} '
                f'but the semantic head reads a level of stride '
                f'{self.semantic_stride} (mask_roi_extractor.featmap_strides'
                '[0])')

    def _mask_forward(self, x: Tuple[Tensor], rois: Tensor,
                      roi_labels: Tensor, semantic_feat: Tensor,
                      semantic_pred: Optional[Tensor]) -> dict:
        """Mask head on ``rois`` (N, 5) of classes ``roi_labels`` (N, ):
        returns ``mask_preds``, the list of stage logits."""
        mask_feats = self.mask_roi_extractor(
            x[:self.mask_roi_extractor.num_inputs], rois)
        mask_preds = self.mask_head(mask_feats, semantic_feat, semantic_pred,
                                    rois, roi_labels)
        return dict(mask_preds=mask_preds, mask_feats=mask_feats)

    def mask_loss(self, x: Tuple[Tensor],
                  sampling_results: List[SamplingResult], bbox_feats: Tensor,
                  batch_gt_instances: InstanceList) -> dict:
        """Stage losses of the mask head on the positive RoIs (with their GT
        classes) plus the semantic loss."""
        semantic_feat, semantic_pred = self.semantic_head(x[0])
        pos_rois = bbox2roi([res.pos_priors for res in sampling_results])
        pos_labels = torch.cat([res.pos_gt_labels for res in sampling_results])
        mask_results = self._mask_forward(x, pos_rois, pos_labels,
                                          semantic_feat, semantic_pred)
        loss_and_target = self.mask_head.loss_and_target(
            mask_preds=mask_results['mask_preds'],
            sampling_results=sampling_results,
            batch_gt_instances=batch_gt_instances,
            rcnn_train_cfg=self.train_cfg)
        losses = dict(loss_and_target['loss_mask'])
        if semantic_pred is not None:
            losses.update(
                self.semantic_head.loss(semantic_pred, batch_gt_instances,
                                        self.semantic_stride))
        mask_results.update(loss_mask=losses)
        return mask_results

    def predict_mask(self,
                     x: Tuple[Tensor],
                     batch_img_metas: List[dict],
                     results_list: InstanceList,
                     rescale: bool = False) -> InstanceList:
        """Masks of the detected boxes: stage logits in chunks of RoIs,
        composed (the 14x14 output dropped, Eq. 6) and pasted."""
        bboxes = [res.bboxes for res in results_list]
        mask_rois = bbox2roi(bboxes)
        if mask_rois.shape[0] == 0:
            return empty_instances(
                batch_img_metas,
                mask_rois.device,
                task_type='mask',
                instance_results=results_list,
                mask_thr_binary=self.test_cfg.mask_thr_binary)
        labels = torch.cat([res.labels for res in results_list])
        semantic_feat, semantic_pred = self.semantic_head(x[0])
        refined = []
        for start in range(0, len(mask_rois), self.mask_chunk_size):
            end = start + self.mask_chunk_size
            stage_logits = self._mask_forward(x, mask_rois[start:end],
                                              labels[start:end],
                                              semantic_feat,
                                              semantic_pred)['mask_preds']
            refined.append(self.mask_head.refine(stage_logits))
        mask_preds = torch.cat(refined).split(
            [len(res) for res in results_list], 0)
        return self.mask_head.predict_by_feat(
            mask_preds=mask_preds,
            results_list=results_list,
            batch_img_metas=batch_img_metas,
            rcnn_test_cfg=self.test_cfg,
            rescale=rescale)

    def forward(self,
                x: Tuple[Tensor],
                rpn_results_list: InstanceList,
                batch_data_samples=None) -> tuple:
        """Tensor outputs (for FLOPs counting and export): box head outputs
        and the stage logits of the first 100 proposals as class 0."""
        proposals = [res.bboxes for res in rpn_results_list]
        rois = bbox2roi(proposals)
        bbox_results = self._bbox_forward(x, rois)
        semantic_feat, semantic_pred = self.semantic_head(x[0])
        mask_rois = rois[:100]
        labels = mask_rois.new_zeros(len(mask_rois), dtype=torch.long)
        stage_logits = self._mask_forward(x, mask_rois, labels, semantic_feat,
                                          semantic_pred)['mask_preds']
        return (bbox_results['cls_score'], bbox_results['bbox_pred'],
                self.mask_head.refine(stage_logits))
