"""Data transforms of mmseginst (mmdet's and mmcv's are used as they are,
except ``LoadImageFromFile``, extended to name the file it fails on)."""
from .instance_centered_crop import InstanceCenteredCrop
from .loading import LoadImageFromFile
from .random_center_crop_pad import RandomCenterCropPadWithMask

__all__ = [
    'InstanceCenteredCrop', 'LoadImageFromFile', 'RandomCenterCropPadWithMask'
]
