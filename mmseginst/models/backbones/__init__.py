"""backbones of mmseginst."""
from .dla import DLA  # noqa: F401
