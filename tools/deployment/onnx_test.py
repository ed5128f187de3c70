"""Evaluate an exported ONNX model on the config's test set with the
config's evaluator (COCO AP...), as tools/test.py does for a checkpoint.

    python tools/deployment/onnx_test.py CONFIG model.onnx [--threads N] \
        [--cfg-options ...]
"""
import argparse
import os.path as osp
import sys

from mmengine.config import Config, DictAction
from mmengine.evaluator import Evaluator
from mmengine.runner import Runner

from mmseginst.utils import register_all_modules


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='Evaluate an ONNX model')
    p.add_argument('config')
    p.add_argument('onnx_file')
    p.add_argument('--threads', type=int, default=None,
                   help='ONNX Runtime intra-op threads')
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    return p.parse_args(argv)


def evaluate(cfg: Config, detector) -> dict:
    """Metrics of ``detector`` (anything with ``predict(data_batch)``) on
    the test set, one image per batch."""
    loader_cfg = dict(cfg.test_dataloader, batch_size=1)
    loader = Runner.build_dataloader(loader_cfg)
    evaluator = Evaluator(cfg.test_evaluator)
    evaluator.dataset_meta = loader.dataset.metainfo
    for data in loader:
        evaluator.process(data_samples=detector.predict(data),
                          data_batch=data)
    return evaluator.evaluate(len(loader.dataset))


def main(argv=None):
    args = parse_args(argv)
    register_all_modules(init_default_scope=True)
    for path in (args.config, args.onnx_file):
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path!r} does not exist')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    from mmseginst.deployment import ONNXRuntimeDetector
    detector = ONNXRuntimeDetector(cfg, args.onnx_file, args.threads)
    metrics = evaluate(cfg, detector)
    for key, value in metrics.items():
        print(f'{key}: {value}')


if __name__ == '__main__':
    sys.exit(main())
