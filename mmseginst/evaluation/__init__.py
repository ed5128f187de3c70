"""mmseginst evaluation components."""
from .functional import *  # noqa: F401,F403
from .functional import __all__ as _functional
from .metrics import *  # noqa: F401,F403
from .metrics import __all__ as _metrics

__all__ = _functional + _metrics
