"""Per-location vectors carried through FCOS's assignment and NMS.

Some one-stage instance segmentors predict, at every FCOS location, vectors
that the mask head needs for the objects the box head finds: CondInst's
dynamic filters, EmbedMask's proposal embedding and margin, CenterMask's
Local Shape features. mmdet's :class:`CondInstBboxHead` already carries one
such tensor (``param_preds``) to the positives of its assignment (training)
and through score filtering and NMS (test). :class:`LocationVectorsMixin`
lets a head carry several named vectors the same way, so that no head
writes that plumbing again.
"""
from typing import Dict, List, Optional, Sequence

import torch
from mmdet.models.dense_heads import FCOSHead
from mmdet.utils import InstanceList
from mmengine.structures import InstanceData
from torch import Tensor


class LocationVectorsMixin:
    """Named per-location vectors on top of mmdet's ``CondInstBboxHead``.

    Use as ``class MyHead(LocationVectorsMixin, CondInstBboxHead)`` and set
    ``vector_channels`` (an ordered ``{name: channels}``) before calling
    ``CondInstBboxHead.__init__`` with ``num_params=`` the sum of channels.
    ``forward_single`` returns FCOS's ``cls_score``, ``bbox_pred``,
    ``centerness`` and then one (B, channels, H, W) map per vector, in the
    order of ``vector_channels``.

    What the mixin adds to CondInst:

    * no CondInst ``controller`` conv (a head builds its own vector layers);
    * ``loss_by_feat`` / ``predict_by_feat`` take the vectors as separate
      outputs and carry them as CondInst's ``param_preds``;
    * ``get_positive_infos`` gives per image, for each positive location,
      CondInst's ``points``, ``strides``, ``scores``, ``centernesses``,
      ``pos_assigned_gt_inds`` and ``pos_inds``, plus ``bbox_preds`` (the
      FCOS distances, (num_pos, 4), in strides when ``norm_on_bbox``) and
      one field per vector, (num_pos, channels);
    * ``predict_by_feat`` gives each detection one field per vector,
      (num_dets, channels), besides ``bboxes``, ``scores``, ``labels``,
      ``points`` and ``strides``.
    """

    vector_channels: Dict[str, int]

    def _init_layers(self) -> None:
        """FCOS's towers and predictors, without CondInst's controller."""
        FCOSHead._init_layers(self)

    def loss_by_feat(self, cls_scores: List[Tensor], bbox_preds: List[Tensor],
                     centernesses: List[Tensor], *args) -> Dict[str, Tensor]:
        """FCOS losses; keeps the positives and their vectors.

        Args:
            cls_scores, bbox_preds, centernesses (list[Tensor]): FCOS's
                outputs per level.
            *args: one list of (B, channels, H, W) maps per vector, then
                ``batch_gt_instances``, ``batch_img_metas`` and optionally
                ``batch_gt_instances_ignore``.
        """
        vectors, targets = self._split_vector_args(args)
        losses = super().loss_by_feat(cls_scores, bbox_preds, centernesses,
                                      self._pack_vectors(vectors), *targets)
        self._raw_positive_infos.update(
            bbox_preds=bbox_preds, batch_gt_instances=targets[0])
        return losses

    def get_positive_infos(self) -> InstanceList:
        """The positives of the last ``loss_by_feat`` per image, with their
        vectors and FCOS distances (see the class docstring)."""
        infos = super().get_positive_infos()
        bbox_preds = torch.cat([
            b.permute(0, 2, 3, 1).reshape(b.shape[0], -1, 4)
            for b in self._raw_positive_infos['bbox_preds']
        ], dim=1)
        for img, info in enumerate(infos):
            info.bbox_preds = bbox_preds[img][info.pos_inds]
            self._unpack_vectors(info)
        return infos

    def predict_by_feat(self,
                        cls_scores: List[Tensor],
                        bbox_preds: List[Tensor],
                        score_factors: Optional[List[Tensor]] = None,
                        *vectors: List[Tensor],
                        batch_img_metas: Optional[List[dict]] = None,
                        cfg: Optional[dict] = None,
                        rescale: bool = False,
                        with_nms: bool = True) -> InstanceList:
        """FCOS detections after NMS, each with its vectors."""
        if len(vectors) != len(self.vector_channels):
            raise ValueError(
                f'{type(self).__name__}.predict_by_feat needs '
                f'{len(self.vector_channels)} vector outputs '
                f'({", ".join(self.vector_channels)}), got {len(vectors)}')
        results_list = super().predict_by_feat(
            cls_scores, bbox_preds, score_factors,
            self._pack_vectors(vectors), batch_img_metas, cfg, rescale,
            with_nms)
        for results in results_list:
            self._unpack_vectors(results)
        return results_list

    def _split_vector_args(self, args: Sequence) -> tuple:
        num = len(self.vector_channels)
        if len(args) not in (num + 2, num + 3):
            raise ValueError(
                f'{type(self).__name__}.loss_by_feat needs {num} vector '
                f'outputs ({", ".join(self.vector_channels)}) then '
                'batch_gt_instances, batch_img_metas[, '
                f'batch_gt_instances_ignore]; got {len(args)} arguments '
                'after the FCOS outputs')
        return args[:num], args[num:]

    @staticmethod
    def _pack_vectors(vectors: Sequence[List[Tensor]]) -> List[Tensor]:
        """One (B, sum of channels, H, W) map per level."""
        return [torch.cat(level, dim=1) for level in zip(*vectors)]

    def _unpack_vectors(self, instances: InstanceData) -> None:
        """Replace ``param_preds`` by one field per vector, in place."""
        parts = instances.param_preds.split(
            list(self.vector_channels.values()), dim=-1)
        del instances.param_preds
        for name, part in zip(self.vector_channels, parts):
            setattr(instances, name, part)
