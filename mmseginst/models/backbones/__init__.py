"""backbones of mmseginst."""
from .dla import DLA  # noqa: F401
from .erfnet import ERFNet  # noqa: F401
from .vovnet import VoVNet  # noqa: F401
