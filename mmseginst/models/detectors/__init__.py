"""detectors of mmseginst."""
from .embedmask import EmbedMask  # noqa: F401
