"""Deployment: ONNX export wrappers and the ONNX Runtime detector."""
from .compare import compare_instances, mask_ious
from .export import export_onnx
from .runtime import ONNXRuntimeDetector
from .wrappers.base import WRAPPERS, build_wrapper

__all__ = [
    'export_onnx', 'ONNXRuntimeDetector', 'build_wrapper', 'WRAPPERS',
    'compare_instances', 'mask_ious'
]
