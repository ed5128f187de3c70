"""Evaluation functions of mmseginst."""
from .lvis_style_eval import lvis_style_evaluate, top_k_per_image

__all__ = ['lvis_style_evaluate', 'top_k_per_image']
