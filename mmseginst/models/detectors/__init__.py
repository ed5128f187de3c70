"""Detectors of mmseginst: one file per method."""
from .centermask import CenterMask
from .centermask_point import CenterMaskPoint
from .embedmask import EmbedMask
from .spatial_embeddings import SpatialEmbeddings

__all__ = ['CenterMask', 'CenterMaskPoint', 'EmbedMask', 'SpatialEmbeddings']
