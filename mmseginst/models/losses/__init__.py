from .lovasz_hinge_loss import LovaszHingeLoss, lovasz_hinge

__all__ = ['LovaszHingeLoss', 'lovasz_hinge']
from .embedding_smooth_loss import EmbeddingSmoothLoss  # noqa: F401
from .assembled_mask_loss import AssembledMaskLoss  # noqa: F401
from .spatial_embedding_loss import SpatialEmbeddingLoss  # noqa: F401
from .boundary_aware_refinement_loss import (  # noqa: F401
    BoundaryAwareRefinementLoss, bar_loss)
