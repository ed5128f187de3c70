"""EmbedMask detector (Ying et al., "EmbedMask: Embedding Coupling for
One-stage Instance Segmentation", arXiv 1912.01954).

A one-stage instance segmentor: backbone + FPN (P3-P7), an FCOS box head that
also predicts a proposal embedding and margin per location
(:class:`EmbedMaskHead`) and a pixel-embedding branch on P3 that turns each
detection into a mask by embedding coupling (:class:`EmbedMaskPixelHead`).
The box head hands the proposals sampled for each ground truth to the pixel
head through ``get_positive_infos`` (training) and the detections with their
embeddings through ``results_list`` (inference), exactly as
:class:`mmdet.models.SingleStageInstanceSegmentor` wires CondInst.
"""
from mmdet.models.detectors.single_stage_instance_seg import \
    SingleStageInstanceSegmentor

from mmseginst.registry import MODELS


@MODELS.register_module()
class EmbedMask(SingleStageInstanceSegmentor):
    """EmbedMask: ``bbox_head`` is an :class:`EmbedMaskHead`, ``mask_head``
    an :class:`EmbedMaskPixelHead`; the constructor is the one of
    :class:`SingleStageInstanceSegmentor` (see the module docstring)."""
