"""Data transforms of mmseginst (mmdet's and mmcv's are used as they are)."""
from .random_center_crop_pad import RandomCenterCropPadWithMask  # noqa: F401
from .instance_centered_crop import InstanceCenteredCrop  # noqa: F401
