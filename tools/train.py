"""Train a detector: ``python tools/train.py CONFIG [--work-dir DIR] ...``.

Same flags and behaviour as mmdet 3.x's tools/train.py, plus
``--trust-checkpoint`` (see mmseginst.utils.checkpoint) and distributed
training on machines without a GPU (gloo).
"""
import argparse
import logging
import os.path as osp

import torch
from mmengine.logging import print_log
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmseginst.datasets.utils import (annotation_errors_named,
                                      warn_if_no_ground_truth)
from mmseginst.utils import register_all_modules
from mmseginst.utils.classes import prepare_classes
from mmseginst.utils.config_checks import check_data_paths
from mmseginst.utils.dist_utils import (process_group_teardown,
                                         setup_cpu_distributed)
from mmseginst.utils.resume import find_resume_checkpoint
from mmseginst.utils.tool_args import add_common_args, load_config


def parse_args():
    parser = argparse.ArgumentParser(description='Train a detector')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='enable automatic-mixed-precision training (needs a GPU)')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the learning rate to the actual batch size')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint; without a path, resume from the '
        'latest checkpoint in the work dir')
    add_common_args(parser)
    return parser.parse_args()


def apply_train_options(cfg, args) -> None:
    if args.amp:
        if not torch.cuda.is_available():
            raise RuntimeError(
                '--amp needs a CUDA device (mmengine AmpOptimWrapper uses '
                'torch.cuda.amp); no GPU is visible on this machine')
        if cfg.optim_wrapper.type == 'AmpOptimWrapper':
            print_log('AMP training is already enabled in your config.',
                      logger='current', level=logging.WARNING)
        else:
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
    if args.auto_scale_lr:
        if 'auto_scale_lr' in cfg and 'enable' in cfg.auto_scale_lr \
                and 'base_batch_size' in cfg.auto_scale_lr:
            cfg.auto_scale_lr.enable = True
        else:
            raise RuntimeError('Can not find "auto_scale_lr" or '
                               '"auto_scale_lr.enable" or '
                               '"auto_scale_lr.base_batch_size" in your'
                               ' configuration file.')
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        if '://' not in args.resume and not osp.isfile(args.resume):
            raise FileNotFoundError(
                f'--resume: checkpoint {args.resume!r} does not exist')
        cfg.resume = True
        cfg.load_from = args.resume


def resolve_auto_resume(cfg) -> None:
    """Resume from what ``last_checkpoint`` names, or from the newest
    complete checkpoint of the work dir when that pointer is empty or
    dangling (see mmseginst.utils.resume); from the beginning when there is
    none."""
    checkpoint = find_resume_checkpoint(cfg.work_dir)
    if checkpoint is None:
        cfg.resume = False
    else:
        cfg.load_from = checkpoint


@annotation_errors_named()
def main():
    args = parse_args()
    register_all_modules(init_default_scope=False)
    cfg = load_config(args)
    apply_train_options(cfg, args)
    if cfg.get('resume') and not cfg.get('load_from'):
        resolve_auto_resume(cfg)
    loaders = ['train_dataloader']
    if cfg.get('val_cfg') and cfg.get('val_dataloader'):
        loaders.append('val_dataloader')
    check_data_paths(cfg, loaders)
    prepare_classes(cfg, loaders, args.classes, args.allow_class_subset)
    if cfg.get('load_from') and not cfg.get('resume') \
            and '://' not in cfg.load_from and not osp.isfile(cfg.load_from):
        raise FileNotFoundError(
            f'load_from: checkpoint {cfg.load_from!r} does not exist')
    setup_cpu_distributed(cfg, args.launcher)

    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)
    # builds the training dataset (runner.train() would, first thing)
    warn_if_no_ground_truth(runner.train_dataloader.dataset)
    runner.train()


if __name__ == '__main__':
    with process_group_teardown():
        main()
