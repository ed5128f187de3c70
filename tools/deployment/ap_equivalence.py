"""COCO AP of the PyTorch model and of its ONNX export on the same test set,
and the largest per-detection differences between them.

    python tools/deployment/ap_equivalence.py CONFIG:CHECKPOINT \
        [CONFIG:CHECKPOINT ...] [--work-dir DIR] [--threads 2] \
        [--cfg-options ...]

Each model is exported (static shape of the first test image), then both
run on every test image (one per batch) and are compared detection by
detection (``mmseginst.deployment.compare_instances``). The table gives,
per model: the detections of each runtime; those paired with a counterpart
(same label, score within 1e-4, box within 1e-3 relative); those without
one that are near-tie effects of float noise (an NMS pair or a 3x3 peak
decided the other way, what that box suppresses, the count cut) and the
images they are in; those without one that are not (must be 0); the max
relative box and score differences and the min mask IoU of the pairs, the
most pixels by which a pair's masks below IoU 0.99 differ, the masks that
disagree (IoU < 0.99 and more than 2 pixels off: must be 0); and bbox /
segm mAP of each runtime (config's evaluator).
"""
import argparse
import os
import os.path as osp
import sys

import torch
from mmengine.config import Config, DictAction
from mmengine.evaluator import Evaluator
from mmengine.runner import Runner

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from export_onnx import build_model  # noqa: E402

from mmseginst.utils import register_all_modules  # noqa: E402
from mmseginst.utils.checkpoint import \
    install_safe_checkpoint_loader  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='AP of PyTorch vs ONNX Runtime')
    p.add_argument('pairs', nargs='+', metavar='CONFIG:CHECKPOINT')
    p.add_argument('--work-dir', default='work_dirs/onnx_ap')
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    return p.parse_args(argv)


def compare_model(config: str, checkpoint: str, args) -> dict:
    from mmseginst.deployment import (ONNXRuntimeDetector, compare_instances,
                                      export_onnx)
    cfg = Config.fromfile(config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = build_model(cfg, checkpoint, config)
    loader = Runner.build_dataloader(dict(cfg.test_dataloader, batch_size=1))
    first = model.data_preprocessor(next(iter(loader)), False)['inputs']
    onnx_file = osp.join(args.work_dir,
                         osp.splitext(osp.basename(config))[0] + '.onnx')
    export_onnx(model, onnx_file, tuple(first.shape[2:]))
    detector = ONNXRuntimeDetector(cfg, onnx_file, args.threads)
    evaluators = {k: Evaluator(cfg.test_evaluator) for k in ('torch', 'onnx')}
    for ev in evaluators.values():
        ev.dataset_meta = loader.dataset.metainfo
    total = dict(ref=0, test=0, matched=0, ties=0, tie_images=0,
                 unexplained=0, box=0.0, score=0.0, iou=1.0, pixels=0,
                 masks_off=0)
    for data in loader:
        with torch.no_grad():
            ref = model.test_step(data)
        got = detector.predict(data)
        res = compare_instances(ref[0].pred_instances, got[0].pred_instances)
        evaluators['torch'].process(data_samples=ref, data_batch=data)
        evaluators['onnx'].process(data_samples=got, data_batch=data)
        add_image(total, res)
    metrics = {k: ev.evaluate(len(loader.dataset))
               for k, ev in evaluators.items()}
    return dict(total, metrics=metrics)


def add_image(total: dict, res: dict) -> None:
    """Accumulate one image's :func:`compare_instances` into ``total``."""
    ties = sum(res['tie_affected'])
    for key, value in (('ref', res['num_ref']), ('test', res['num_test']),
                       ('matched', res['matched']), ('ties', ties),
                       ('tie_images', int(ties > 0)),
                       ('unexplained', res['unexplained']),
                       ('masks_off', res['masks_off'])):
        total[key] += value
    total['box'] = max(total['box'], res['max_box_rel_diff'])
    total['score'] = max(total['score'], res['max_score_diff'])
    total['iou'] = min(total['iou'], res['min_mask_iou'])
    total['pixels'] = max(total['pixels'], res['max_pixels_off'])


def ap(metrics: dict, kind: str) -> float:
    return next((v for k, v in metrics.items() if k.endswith(f'{kind}_mAP')),
                float('nan'))


def main(argv=None):
    args = parse_args(argv)
    register_all_modules(init_default_scope=True)
    install_safe_checkpoint_loader()
    torch.set_num_threads(args.threads)
    os.makedirs(args.work_dir, exist_ok=True)
    rows = []
    for pair in args.pairs:
        config, sep, checkpoint = pair.rpartition(':')
        if not sep or not osp.isfile(config):
            raise ValueError(f'{pair!r}: expected CONFIG:CHECKPOINT with an '
                             'existing config file')
        res = compare_model(config, checkpoint, args)
        rows.append((osp.basename(config), res))
    print('| config | dets PyTorch / ONNX | paired | near-tie effects '
          '(images) | unexplained | max box rel. diff | max score diff | '
          'min mask IoU (max pixels off) | masks off | bbox AP PyTorch / '
          'ONNX | segm AP PyTorch / ONNX |')
    print('|---|---|---|---|---|---|---|---|---|---|---|')
    for name, r in rows:
        m = r['metrics']
        print(f"| {name} | {r['ref']} / {r['test']} | {r['matched']} | "
              f"{r['ties']} ({r['tie_images']}) | {r['unexplained']} | "
              f"{r['box']:.1e} | {r['score']:.1e} | {r['iou']:.4f} "
              f"({r['pixels']}) | {r['masks_off']} | "
              f"{ap(m['torch'], 'bbox'):.3f} / {ap(m['onnx'], 'bbox'):.3f} | "
              f"{ap(m['torch'], 'segm'):.3f} / {ap(m['onnx'], 'segm'):.3f} |")


if __name__ == '__main__':
    sys.exit(main())
