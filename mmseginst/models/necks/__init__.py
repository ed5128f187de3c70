"""Necks of mmseginst."""
from .dla_up import DLAUpNeck

__all__ = ['DLAUpNeck']
