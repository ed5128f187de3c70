from .shapes import ShapesDataset
from .shapes_generator import generate_shapes_dataset
from .transforms import *  # noqa: F401,F403

__all__ = ['ShapesDataset', 'generate_shapes_dataset']
