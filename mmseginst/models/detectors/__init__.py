"""detectors of mmseginst."""
from .embedmask import EmbedMask  # noqa: F401
from .centermask_point import CenterMaskPoint  # noqa: F401
from .spatial_embeddings import SpatialEmbeddings  # noqa: F401
from .centermask import CenterMask  # noqa: F401
