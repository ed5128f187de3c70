"""Export a detector to one ONNX file (TorchScript-based exporter)."""
import json
import os
import os.path as osp
import tempfile
from typing import Optional, Sequence, Tuple

import torch
from torch import nn

from .ops import onnx_mmcv_symbolics
from .wrappers.base import build_wrapper

METADATA_KEY = 'mmseginst'
MIN_OPSET = 16  # RoiAlign with coordinate_transformation_mode
STANDARD_DOMAINS = ('', 'ai.onnx')


def _check_ops(onnx_model, name: str) -> None:
    """Raise if the graph holds an operator outside the ONNX standard
    domains (e.g. mmcv's deformable convolution, which has no ONNX Runtime
    kernel)."""
    custom = sorted({f'{n.domain}::{n.op_type}'
                     for n in onnx_model.graph.node
                     if n.domain not in STANDARD_DOMAINS})
    if custom:
        raise RuntimeError(f'{name}: the exported graph has operators that '
                           f'ONNX Runtime does not implement: {custom} '
                           '(e.g. DCN layers; use a config without them)')


def export_onnx(model: nn.Module,
                out_file: str,
                shape: Sequence[int],
                dynamic: bool = False,
                opset: int = 19,
                extra_metadata: Optional[dict] = None) -> dict:
    """Trace ``model`` (in eval mode) through its export wrapper and save it.

    Args:
        model (nn.Module): The detector.
        out_file (str): Path of the ``.onnx`` file.
        shape (Sequence[int]): (H, W) of the traced input; the only input
            shape of a static export.
        dynamic (bool): Export with dynamic height and width.
        opset (int): ONNX opset, >= 16 (19 for DeformConv).
        extra_metadata (dict, optional): Stored with the wrapper's metadata.

    Returns:
        dict: The metadata stored in the file (``detector``, ``mask_kind``,
        ``outputs``, ``shape``, thresholds...).
    """
    import onnx
    if opset < MIN_OPSET:
        raise ValueError(f'opset {opset} < {MIN_OPSET}: ONNX RoiAlign has '
                         'the half-pixel mode of aligned=True from opset 16')
    name = type(model).__name__
    # a fresh module is in training mode, which torch.onnx.export restores
    # on the wrapper, and so on the model, after tracing
    wrapper = build_wrapper(model).eval()
    height, width = (int(v) for v in shape)
    # traced into a file beside the output, which is only replaced once the
    # graph passed its checks
    out_dir = osp.dirname(osp.abspath(out_file))
    fd, tmp_file = tempfile.mkstemp(suffix='.onnx', dir=out_dir)
    os.close(fd)
    try:
        _trace(wrapper, (height, width), tmp_file, dynamic, opset, name)
        onnx_model = onnx.load(tmp_file)
        _check_ops(onnx_model, name)
        meta = dict(
            detector=name,
            mask_kind=wrapper.mask_kind,
            outputs=list(wrapper.output_names),
            shape=None if dynamic else [height, width],
            opset=opset,
            **wrapper.metadata(),
            **(extra_metadata or {}))
        entry = onnx_model.metadata_props.add()
        entry.key, entry.value = METADATA_KEY, json.dumps(meta)
        onnx.save(onnx_model, tmp_file)
        os.replace(tmp_file, out_file)
    finally:
        if osp.exists(tmp_file):
            os.remove(tmp_file)
    return meta


def _trace(wrapper: nn.Module, shape: Tuple[int, int], out_file: str,
           dynamic: bool, opset: int, name: str) -> None:
    """``torch.onnx.export`` (TorchScript exporter) of ``wrapper`` on a
    random (1, 3, H, W) input, with the ONNX mappings of mmcv's ops."""
    img = torch.randn(1, 3, *shape)
    img_shape = torch.tensor(shape, dtype=torch.float32)
    outputs = list(wrapper.output_names)
    if wrapper.mask_kind == 'clustering':  # one dense map out
        axes = {k: {2: 'height', 3: 'width'} for k in outputs} \
            if dynamic else {}
    else:  # the number of detections varies
        axes = {k: {0: 'num_dets'} for k in outputs}
    if dynamic:
        axes['input'] = {2: 'height', 3: 'width'}
    with torch.no_grad(), onnx_mmcv_symbolics():
        try:
            torch.onnx.export(
                wrapper, (img, img_shape),
                out_file,
                dynamo=False,
                opset_version=opset,
                input_names=['input', 'img_shape'],
                output_names=outputs,
                dynamic_axes=axes,
                do_constant_folding=True)
        except Exception as err:  # name the model around the exporter's
            raise RuntimeError(f'{name} could not be exported to ONNX: '
                               f'{type(err).__name__}: {err}') from err
