"""Models of mmseginst; importing this registers every component."""
from . import (backbones, dense_heads, detectors, layers, losses, necks,
               roi_heads, utils)
from .backbones import *  # noqa: F401,F403
from .dense_heads import *  # noqa: F401,F403
from .detectors import *  # noqa: F401,F403
from .layers import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .necks import *  # noqa: F401,F403
from .roi_heads import *  # noqa: F401,F403
from .utils import *  # noqa: F401,F403

__all__ = [
    name for package in (backbones, dense_heads, detectors, layers, losses,
                         necks, roi_heads, utils)
    for name in package.__all__
]
