"""Metrics of mmseginst (mmdet's CocoMetric/CityScapesMetric are reused)."""
from .cityscapes_instance_metric import CityscapesInstanceMetric  # noqa: F401
