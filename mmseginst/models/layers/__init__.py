"""layers of mmseginst."""
from .spatial_attention import SpatialAttention  # noqa: F401
