"""necks of mmseginst."""
from .dla_up import DLAUpNeck  # noqa: F401
