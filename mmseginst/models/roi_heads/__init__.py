"""roi_heads of mmseginst."""
from .adaptive_level_roi_head import AdaptiveLevelRoIHead  # noqa: F401
from .refine_mask_head import RefineMaskHead  # noqa: F401
from .refine_roi_head import RefineRoIHead  # noqa: F401
from .refine_semantic_head import RefineSemanticHead  # noqa: F401
from .simple_refine_mask_head import SimpleRefineMaskHead  # noqa: F401
from .centermask_roi_head import CenterMaskRoIHead  # noqa: F401
from .maskiou_head import CenterMaskIoUHead  # noqa: F401
from .sag_mask_head import SAGMaskHead  # noqa: F401
