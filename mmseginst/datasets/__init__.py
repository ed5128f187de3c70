from .shapes import ShapesDataset
from .shapes_generator import generate_shapes_dataset
from .cityscapes_instance_ids import CityscapesInstanceIdsDataset  # noqa: F401
from .samplers import *  # noqa: F401,F403
from .transforms import *  # noqa: F401,F403

__all__ = ['ShapesDataset', 'generate_shapes_dataset']
from .lvis_v1_cocoapi import LVISV1CocoAPIDataset  # noqa: F401
