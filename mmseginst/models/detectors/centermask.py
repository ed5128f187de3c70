"""CenterMask (Lee & Park, "CenterMask: Real-Time Anchor-Free Instance
Segmentation", CVPR 2020, arXiv 1911.06667).

An anchor-free one-stage detector (FCOS on P3-P7) whose boxes feed a RoI
mask branch on P3-P5: spatial attention-guided mask head (SAG-Mask) and a
MaskIoU head, with RoIs assigned to levels by CenterMask's adaptive rule.
"""
from typing import Tuple

from mmdet.models.detectors import BaseDetector
from mmdet.structures import OptSampleList, SampleList
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from torch import Tensor

from ...registry import MODELS


@MODELS.register_module()
class CenterMask(BaseDetector):
    """Backbone + FPN + FCOS (``bbox_head``) + mask branch (``roi_head``).

    Training: FCOS losses on P3-P7; the same forward pass, decoded with
    ``train_cfg.proposal`` (top 100 per image), gives the RoIs that
    ``roi_head`` (:class:`CenterMaskRoIHead`, ``train_cfg.rcnn``) samples
    together with the GT boxes. Inference: FCOS detections (``test_cfg``:
    ``sqrt(cls * ctr)`` scores, NMS 0.6, top 50) are the RoIs of the mask
    branch, which adds ``masks`` (original image size) and ``mask_scores``.
    Images without any detection get empty results of the right shapes.

    Args:
        backbone (dict): Backbone config (VoVNet, ResNet, MobileNetV2).
        neck (dict): FPN config with P6/P7 from P5.
        bbox_head (dict): :class:`CenterMaskFCOSHead` config.
        roi_head (dict): :class:`CenterMaskRoIHead` config.
        train_cfg (dict): ``proposal`` (FCOS decoding for the training
            RoIs) and ``rcnn`` (assigner, sampler, mask_size of the RoI head).
        test_cfg (dict): FCOS decoding (``nms_pre``, ``score_thr``,
            ``nms``, ``max_per_img``) and ``mask_thr_binary``.
    """

    def __init__(self,
                 backbone: ConfigType,
                 neck: ConfigType,
                 bbox_head: ConfigType,
                 roi_head: ConfigType,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if train_cfg is not None:
            missing = {'proposal', 'rcnn'} - set(train_cfg)
            if missing:
                raise KeyError(f'CenterMask train_cfg lacks {sorted(missing)}'
                               ' (proposal: FCOS decoding of the training '
                               'RoIs; rcnn: assigner/sampler of the RoI head)')
        if test_cfg is None or 'mask_thr_binary' not in test_cfg:
            raise KeyError('CenterMask test_cfg needs mask_thr_binary (and '
                           'the FCOS keys nms_pre, score_thr, nms, '
                           'max_per_img)')
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck)
        self.bbox_head = MODELS.build(
            dict(bbox_head, train_cfg=None, test_cfg=test_cfg))
        self.roi_head = MODELS.build(
            dict(roi_head,
                 train_cfg=None if train_cfg is None else train_cfg['rcnn'],
                 test_cfg=test_cfg))
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg

    def extract_feat(self, batch_inputs: Tensor) -> Tuple[Tensor]:
        """``(N, 3, H, W)`` -> FPN levels P3..P7."""
        return self.neck(self.backbone(batch_inputs))

    def loss(self, batch_inputs: Tensor,
             batch_data_samples: SampleList) -> dict:
        if self.train_cfg is None:
            raise RuntimeError('CenterMask.loss needs train_cfg')
        x = self.extract_feat(batch_inputs)
        losses, proposals = self.bbox_head.loss_and_predict(
            x, batch_data_samples, proposal_cfg=self.train_cfg['proposal'])
        roi_losses = self.roi_head.loss(x, proposals, batch_data_samples)
        overlap = set(losses) & set(roi_losses)
        if overlap:
            raise KeyError(f'loss names used twice: {sorted(overlap)}')
        losses.update(roi_losses)
        return losses

    def predict(self,
                batch_inputs: Tensor,
                batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        x = self.extract_feat(batch_inputs)
        # boxes stay in the resized frame: the mask branch pools them there
        # and rescales boxes and masks together
        results_list = self.bbox_head.predict(
            x, batch_data_samples, rescale=False)
        results_list = self.roi_head.predict(
            x, results_list, batch_data_samples, rescale=rescale)
        return self.add_pred_to_datasample(batch_data_samples, results_list)

    def _forward(self,
                 batch_inputs: Tensor,
                 batch_data_samples: OptSampleList = None) -> tuple:
        """Raw tensors: FCOS outputs, then the mask branch's outputs on the
        decoded detections (needs the data samples for the image shapes)."""
        if batch_data_samples is None:
            raise ValueError('CenterMask._forward needs batch_data_samples')
        x = self.extract_feat(batch_inputs)
        outs = self.bbox_head(x)
        metas = [s.metainfo for s in batch_data_samples]
        results_list = self.bbox_head.predict_by_feat(
            *outs, batch_img_metas=metas, rescale=False)
        return outs + self.roi_head.forward(x, results_list,
                                            batch_data_samples)
