"""dense_heads of mmseginst."""
from .embedmask_head import EmbedMaskHead  # noqa: F401
from .embedmask_pixel_head import EmbedMaskPixelHead  # noqa: F401
from .centermask_point_fcos_head import CenterMaskPointFCOSHead  # noqa: F401
from .centermask_point_head import CenterMaskPointHead  # noqa: F401
from .global_saliency_head import GlobalSaliencyHead  # noqa: F401
from .spatial_embedding_head import SpatialEmbeddingHead  # noqa: F401
from .centermask_fcos_head import CenterMaskFCOSHead  # noqa: F401
