"""Layers of mmseginst: the pieces that several heads (or a head and a
backbone) use."""
from .boundary_band import boundary_band, compose_refined_logits
from .coordinate_map import coordinate_map
from .embedding_coupling import (box_bounded_masks, boxes_to_grid_regions,
                                 embedding_mask_logits, embedding_sq_distance,
                                 official_mask_shapes, threshold_log_prob_maps)
from .erfnet_blocks import (DownsamplerBlock, ERFNetDecoder, NonBottleneck1d,
                            UpsamplerBlock)
from .mask_assembly import (assemble_masks, assembled_probs, masks_on_grid,
                            paste_to_grid)
from .scaled_coordinates import ScaledCoordinates
from .semantic_fusion_module import (MultiBranchFusion, SemanticFusionModule,
                                     SimpleSemanticFusionModule)
from .spatial_attention import SpatialAttention
from .spatial_embedding_clustering import cluster_fast, cluster_plain

__all__ = [
    'DownsamplerBlock', 'ERFNetDecoder', 'MultiBranchFusion',
    'NonBottleneck1d', 'ScaledCoordinates', 'SemanticFusionModule',
    'SimpleSemanticFusionModule', 'SpatialAttention', 'UpsamplerBlock',
    'assemble_masks', 'assembled_probs', 'boundary_band', 'box_bounded_masks',
    'boxes_to_grid_regions', 'cluster_fast', 'cluster_plain',
    'compose_refined_logits', 'coordinate_map', 'embedding_mask_logits',
    'embedding_sq_distance', 'masks_on_grid', 'official_mask_shapes',
    'paste_to_grid', 'threshold_log_prob_maps'
]
