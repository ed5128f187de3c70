"""Metrics of mmseginst (mmdet's CocoMetric/CityScapesMetric are reused)."""
from .cityscapes_instance_metric import CityscapesInstanceMetric
from .coco_ap_star_metric import CocoAPStarMetric
from .faster_lvis_metric import FasterLVISMetric

__all__ = ['CityscapesInstanceMetric', 'CocoAPStarMetric', 'FasterLVISMetric']
