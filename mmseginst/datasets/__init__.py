"""Datasets of mmseginst: the built-in shapes set and Cityscapes/LVIS
helpers, with their samplers and transforms."""
from .cityscapes_instance_ids import CityscapesInstanceIdsDataset
from .lvis_v1_cocoapi import LVISV1CocoAPIDataset
from .samplers import *  # noqa: F401,F403
from .samplers import __all__ as _samplers
from .shapes import ShapesDataset
from .shapes_generator import generate_shapes_dataset
from .transforms import *  # noqa: F401,F403
from .transforms import __all__ as _transforms

__all__ = [
    'CityscapesInstanceIdsDataset', 'LVISV1CocoAPIDataset', 'ShapesDataset',
    'generate_shapes_dataset'
] + _samplers + _transforms
