"""Metrics of mmseginst (mmdet's CocoMetric/CityScapesMetric are reused)."""
from .cityscapes_instance_metric import CityscapesInstanceMetric  # noqa: F401
from .coco_ap_star_metric import CocoAPStarMetric  # noqa: F401
from .faster_lvis_metric import FasterLVISMetric  # noqa: F401
