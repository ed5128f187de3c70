"""roi_heads of mmseginst."""
from .adaptive_level_roi_head import AdaptiveLevelRoIHead  # noqa: F401
