"""Bad input to the export and the runtime stops with an error that names
the model, the operator or the shapes at fault."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from conftest import REPO
from mmseginst.deployment import ONNXRuntimeDetector, export_onnx
from mmseginst.registry import MODELS
from mmseginst.utils import register_all_modules

MASK_RCNN = osp.join(REPO, 'configs/mask_rcnn/mask-rcnn_r18-w32_fpn_shapes.py')
EMBEDMASK = osp.join(REPO, 'configs/embedmask/embedmask_r18-w32_fpn_shapes.py')


@pytest.fixture(scope='module')
def mask_rcnn_onnx(tmp_path_factory):
    register_all_modules(init_default_scope=True)
    model = MODELS.build(Config.fromfile(MASK_RCNN).model).eval()
    path = str(tmp_path_factory.mktemp('onnx') / 'mask_rcnn.onnx')
    export_onnx(model, path, (64, 64))
    return path


def test_config_of_another_detector(mask_rcnn_onnx):
    with pytest.raises(ValueError, match='holds a MaskRCNN model but the '
                       'config builds a EmbedMask'):
        ONNXRuntimeDetector(EMBEDMASK, mask_rcnn_onnx)


def test_input_of_another_size_than_static_export(mask_rcnn_onnx):
    det = ONNXRuntimeDetector(MASK_RCNN, mask_rcnn_onnx)
    meta = dict(img_shape=(96, 64), ori_shape=(96, 64),
                scale_factor=(1., 1.))
    with pytest.raises(ValueError, match='exported for inputs of 64x64 '
                       r'\(static shape\) but the preprocessed image is '
                       '96x64'):
        det.run(torch.zeros(1, 3, 96, 64), meta)


def test_onnx_file_not_from_mmseginst(tmp_path):
    path = str(tmp_path / 'plain.onnx')
    torch.onnx.export(torch.nn.ReLU(), (torch.zeros(1), ), path,
                      dynamo=False)
    with pytest.raises(ValueError, match='plain.onnx was not exported by '
                       'mmseginst'):
        ONNXRuntimeDetector(MASK_RCNN, path)


def test_detector_without_wrapper(tmp_path):
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(MASK_RCNN).model
    cfg.type = 'FasterRCNN'
    cfg.roi_head.pop('mask_roi_extractor')
    cfg.roi_head.pop('mask_head')
    model = MODELS.build(cfg)
    with pytest.raises(ValueError, match='detector FasterRCNN has no ONNX '
                       'export'):
        export_onnx(model, str(tmp_path / 'x.onnx'), (64, 64))


def test_unsupported_operator_is_named(mask_rcnn_onnx, tmp_path,
                                       monkeypatch):
    # a graph with an operator outside the ONNX domains (an mmcv op whose
    # symbolic emits a custom-domain node): the export stops and names it
    # instead of leaving a file ONNX Runtime cannot load. The tracing is
    # replaced by a copy of an exported graph with such a node added.
    import onnx
    register_all_modules(init_default_scope=True)
    model = MODELS.build(Config.fromfile(MASK_RCNN).model).eval()

    def trace_with_custom_node(module, args, out_file, **kwargs):
        graph = onnx.load(mask_rcnn_onnx)
        node = graph.graph.node.add()
        node.op_type, node.domain = 'MMCVCornerPool', 'mmcv'
        onnx.save(graph, out_file)

    monkeypatch.setattr(torch.onnx, 'export', trace_with_custom_node)
    out = tmp_path / 'x.onnx'
    out.write_bytes(b'an earlier export')
    with pytest.raises(RuntimeError, match=r"MaskRCNN: .*\['mmcv::"
                       r"MMCVCornerPool'\]"):
        export_onnx(model, str(out), (64, 64))
    # the file already there is left as it was, and no temporary is left
    assert out.read_bytes() == b'an earlier export'
    assert [p.name for p in tmp_path.iterdir()] == ['x.onnx']


def test_old_opset_refused(tmp_path):
    register_all_modules(init_default_scope=True)
    model = MODELS.build(Config.fromfile(MASK_RCNN).model).eval()
    with pytest.raises(ValueError, match='opset 11 < 16'):
        export_onnx(model, str(tmp_path / 'x.onnx'), (64, 64), opset=11)
