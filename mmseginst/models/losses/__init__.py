"""Losses of mmseginst: a function with the math and a registered module."""
from .assembled_mask_loss import AssembledMaskLoss
from .boundary_aware_refinement_loss import (BoundaryAwareRefinementLoss,
                                             bar_loss)
from .embedding_smooth_loss import EmbeddingSmoothLoss, embedding_smooth_loss
from .lovasz_hinge_loss import LovaszHingeLoss, lovasz_hinge
from .spatial_embedding_loss import (SpatialEmbeddingLoss,
                                     spatial_embedding_loss)

__all__ = [
    'AssembledMaskLoss', 'BoundaryAwareRefinementLoss', 'EmbeddingSmoothLoss',
    'LovaszHingeLoss', 'SpatialEmbeddingLoss', 'bar_loss',
    'embedding_smooth_loss', 'lovasz_hinge', 'spatial_embedding_loss'
]
