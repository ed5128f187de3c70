"""Mask heads (and RefineMask's semantic head) of the RoI heads."""
from .centermask_iou_head import CenterMaskIoUHead
from .refine_mask_head import RefineMaskHead
from .refine_semantic_head import RefineSemanticHead
from .sag_mask_head import SAGMaskHead
from .simple_refine_mask_head import SimpleRefineMaskHead

__all__ = [
    'CenterMaskIoUHead', 'RefineMaskHead', 'RefineSemanticHead', 'SAGMaskHead',
    'SimpleRefineMaskHead'
]
