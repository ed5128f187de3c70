"""Data transforms of mmseginst (mmdet's and mmcv's are used as they are)."""
from .instance_centered_crop import InstanceCenteredCrop
from .random_center_crop_pad import RandomCenterCropPadWithMask

__all__ = ['InstanceCenteredCrop', 'RandomCenterCropPadWithMask']
