"""Operations shared by several heads (mmdet's ``models/utils``)."""
from .center_point_boxes import decode_boxes, rescale_boxes_to_image
from .location_vectors import LocationVectorsMixin
from .misc import conv1x1_at, group_mean

__all__ = [
    'LocationVectorsMixin', 'conv1x1_at', 'decode_boxes', 'group_mean',
    'rescale_boxes_to_image'
]
