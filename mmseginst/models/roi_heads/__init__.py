"""RoI heads of mmseginst, with their mask heads and RoI extractors."""
from .centermask_roi_head import CenterMaskRoIHead
from .mask_heads import (CenterMaskIoUHead, RefineMaskHead, RefineSemanticHead,
                         SAGMaskHead, SimpleRefineMaskHead)
from .refine_roi_head import RefineRoIHead
from .roi_extractors import AdaptiveRoIExtractor

__all__ = [
    'AdaptiveRoIExtractor', 'CenterMaskIoUHead', 'CenterMaskRoIHead',
    'RefineMaskHead', 'RefineRoIHead', 'RefineSemanticHead', 'SAGMaskHead',
    'SimpleRefineMaskHead'
]
