"""Backbones of mmseginst."""
from .dla import DLA
from .erfnet import ERFNet
from .vovnet import VoVNet

__all__ = ['DLA', 'ERFNet', 'VoVNet']
