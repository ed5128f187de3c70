"""mmseginst visualization components."""
from .scaled_local_visualizer import (ScaledDetLocalVisualizer,
                                      scaled_visualizer_cfg)

__all__ = ['ScaledDetLocalVisualizer', 'scaled_visualizer_cfg']
