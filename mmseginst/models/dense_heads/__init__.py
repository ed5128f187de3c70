"""dense_heads of mmseginst."""
from .embedmask_head import EmbedMaskHead  # noqa: F401
from .embedmask_pixel_head import EmbedMaskPixelHead  # noqa: F401
