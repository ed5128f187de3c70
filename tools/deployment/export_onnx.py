"""Export a trained detector to one ONNX file for ONNX Runtime.

    python tools/deployment/export_onnx.py CONFIG CHECKPOINT --out model.onnx \
        [--shape H W] [--dynamic] [--opset 19] [--verify [--image IMG]]

Without ``--dynamic`` the graph takes one input size, ``--shape`` (default:
the test pipeline's fixed resize, padded as the data preprocessor pads). With
``--verify`` the PyTorch model and the exported one (ONNX Runtime) run on one
image (``--image``, default: the first image of the config's test set) and
the comparison is printed: detections, max relative box difference, max
score difference, labels, min mask IoU. What runs in the graph and what after
it: docs/deployment.md.
"""
import argparse
import math
import os.path as osp
import sys

import torch
from mmengine.config import Config, DictAction
from mmengine.runner import load_checkpoint

from mmseginst.utils import register_all_modules
from mmseginst.utils.checkpoint import install_safe_checkpoint_loader


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='Export a detector to ONNX')
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('--out', required=True, help='output .onnx file')
    p.add_argument('--shape', type=int, nargs=2, metavar=('H', 'W'),
                   help='input height and width of a static export')
    p.add_argument('--dynamic', action='store_true',
                   help='dynamic input height and width')
    p.add_argument('--opset', type=int, default=19,
                   help='ONNX opset (>= 16; 19 for deformable convs)')
    p.add_argument('--verify', action='store_true',
                   help='compare PyTorch and ONNX Runtime on one image')
    p.add_argument('--image', help='image for --verify (default: the first '
                   'test image of the config)')
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    return p.parse_args(argv)


def default_shape(cfg: Config) -> list:
    """(H, W) of the test pipeline's fixed-scale resize, padded to the data
    preprocessor's ``pad_size_divisor``."""
    from mmseginst.deployment.runtime import _test_pipeline
    resize = [t for t in _test_pipeline(cfg) if 'Resize' in t['type']]
    if not resize or 'scale' not in resize[0]:
        raise ValueError('the test pipeline has no fixed-scale Resize: give '
                         '--shape H W (the preprocessed input size) or '
                         '--dynamic')
    w, h = resize[0]['scale']
    if resize[0].get('keep_ratio', False):
        w, h = max(w, h), min(w, h)  # landscape images fill (long, short)
    div = cfg.model.data_preprocessor.get('pad_size_divisor', 1)
    return [math.ceil(h / div) * div, math.ceil(w / div) * div]


def build_model(cfg: Config, checkpoint: str, config: str):
    """The model of ``cfg`` with the checkpoint's weights (all of them)."""
    from mmseginst.registry import MODELS
    from mmseginst.utils.misc import drop_pretrained
    drop_pretrained(cfg.model)
    model = MODELS.build(cfg.model)
    try:
        load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    except RuntimeError as err:
        if not any(k in str(err) for k in ('do not match', 'mismatch',
                                           'state_dict')):
            raise
        raise ValueError(f'checkpoint {checkpoint} does not match the model '
                         f'of {config} ({type(model).__name__}): {err}'
                         ) from None
    return model.eval()


def first_test_image(cfg: Config) -> str:
    from mmseginst.registry import DATASETS
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    return dataset[0]['data_samples'].img_path


def verify(cfg: Config, model, onnx_file: str, image: str) -> dict:
    """Run both on ``image``; returns :func:`compare_instances`'s dict."""
    from mmseginst.deployment import ONNXRuntimeDetector, compare_instances
    from mmengine.dataset import pseudo_collate
    detector = ONNXRuntimeDetector(cfg, onnx_file)
    data = pseudo_collate([detector.pipeline(dict(img_path=image,
                                                  img_id=0))])
    onnx_res = detector.predict(data)[0].pred_instances
    with torch.no_grad():
        ref = model.test_step(data)[0].pred_instances
    return compare_instances(ref, onnx_res)


def main(argv=None):
    args = parse_args(argv)
    register_all_modules(init_default_scope=True)
    install_safe_checkpoint_loader()
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file {args.config!r} does not exist')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    from mmseginst.deployment import export_onnx
    model = build_model(cfg, args.checkpoint, args.config)
    if args.shape:
        shape = args.shape
    elif args.dynamic:  # any size traces; the test resize if there is one
        try:
            shape = default_shape(cfg)
        except ValueError:
            shape = [256, 256]
    else:
        shape = default_shape(cfg)
    meta = export_onnx(model, args.out, shape, dynamic=args.dynamic,
                       opset=args.opset,
                       extra_metadata=dict(config=osp.basename(args.config)))
    print(f'exported {meta["detector"]} to {args.out} (opset {args.opset}, '
          + ('dynamic input' if args.dynamic else
             f'input {shape[0]}x{shape[1]}') + ')')
    if args.verify:
        image = args.image or first_test_image(cfg)
        res = verify(cfg, model, args.out, image)
        print(f'verify on {image}:')
        for key, value in res.items():
            print(f'  {key}: {value}')


if __name__ == '__main__':
    sys.exit(main())
