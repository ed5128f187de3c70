"""roi_heads of mmseginst."""
from .adaptive_level_roi_head import AdaptiveLevelRoIHead  # noqa: F401
from .refine_mask_head import RefineMaskHead  # noqa: F401
from .refine_roi_head import RefineRoIHead  # noqa: F401
from .refine_semantic_head import RefineSemanticHead  # noqa: F401
from .simple_refine_mask_head import SimpleRefineMaskHead  # noqa: F401
