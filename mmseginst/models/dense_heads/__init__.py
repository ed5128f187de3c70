"""Dense (one-stage) heads of mmseginst."""
from .centermask_fcos_head import CenterMaskFCOSHead
from .centermask_point_fcos_head import CenterMaskPointFCOSHead
from .centermask_point_head import CenterMaskPointHead
from .embedmask_head import EmbedMaskHead
from .embedmask_pixel_head import EmbedMaskPixelHead
from .global_saliency_head import GlobalSaliencyHead
from .spatial_embedding_head import SpatialEmbeddingHead

__all__ = [
    'CenterMaskFCOSHead', 'CenterMaskPointFCOSHead', 'CenterMaskPointHead',
    'EmbedMaskHead', 'EmbedMaskPixelHead', 'GlobalSaliencyHead',
    'SpatialEmbeddingHead'
]
