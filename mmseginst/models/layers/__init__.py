"""layers of mmseginst."""
from .spatial_attention import SpatialAttention  # noqa: F401
from .boundary_band import (boundary_band,  # noqa: F401
                            compose_refined_logits)
from .semantic_fusion_module import (  # noqa: F401
    MultiBranchFusion, SemanticFusionModule, SimpleSemanticFusionModule)
