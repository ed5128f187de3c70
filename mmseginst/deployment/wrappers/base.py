"""Tensor-in / tensors-out wrappers around the detectors for ONNX export.

``DetDataSample`` and ``InstanceData`` cannot be traced, so each wrapper
takes the normalised, padded image batch ``(1, 3, H, W)`` and the resized
image shape ``img_shape`` ``(2, )`` = ``(h, w)`` (the part of the input that
is not padding: boxes are clipped to it as in mmdet) and returns plain
tensors, computed by the model's own modules. What comes out is described
by ``output_names`` and ``mask_kind``, which the runtime
(:class:`mmseginst.deployment.ONNXRuntimeDetector`) reads from the ONNX
file's metadata to post-process.
"""
from typing import Dict, Tuple

from torch import Tensor, nn

WRAPPERS: Dict[str, type] = {}


def register_wrapper(*detector_types: str):
    """Class decorator: use this wrapper for these detector class names."""

    def decorate(cls):
        for name in detector_types:
            WRAPPERS[name] = cls
        return cls

    return decorate


class DeployWrapper(nn.Module):
    """Base of the export wrappers.

    Attributes:
        output_names (tuple[str]): Names of the graph outputs, in order.
        mask_kind (str): How the runtime turns the mask output into masks
            at the original image size: ``'roi'`` (RoI-resolution
            probabilities, pasted), ``'embedding_grid'`` (EmbedMask's
            stride-4 probabilities, resampled), ``'saliency_grid'``
            (CenterMask-Point's assembled masks on the saliency grid,
            resized), ``'clustering'`` (the raw head output, clustered after
            the session).

    Args:
        model (nn.Module): The detector, in eval mode.
    """

    output_names: Tuple[str, ...] = ('boxes', 'scores', 'labels', 'masks')
    mask_kind = 'roi'

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, img: Tensor, img_shape: Tensor) -> Tuple[Tensor, ...]:
        raise TypeError(f'{type(self).__name__} is an abstract wrapper')

    def metadata(self) -> dict:
        """What the runtime needs besides the outputs (thresholds...)."""
        return {}


def build_wrapper(model: nn.Module) -> DeployWrapper:
    """The export wrapper of ``model`` (chosen by its class name).

    Raises:
        ValueError: If the detector has no export wrapper.
    """
    from . import (centermask, centermask_point, embedmask,  # noqa: F401
                   spatial_embeddings, two_stage)
    name = type(model).__name__
    if name not in WRAPPERS:
        raise ValueError(f'detector {name} has no ONNX export; supported: '
                         f'{sorted(WRAPPERS)}')
    return WRAPPERS[name](model)
