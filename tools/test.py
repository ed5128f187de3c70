"""Test (and evaluate) a checkpoint: ``python tools/test.py CONFIG CKPT``.

Same flags and behaviour as mmdet 3.x's tools/test.py (``--out``,
``--show``, ``--show-dir``, ``--tta``, ``--cfg-options``, ``--launcher``),
plus ``--trust-checkpoint`` and CPU distributed testing (gloo).
"""
import argparse
import os
import os.path as osp

from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmseginst.datasets.utils import annotation_errors_named
from mmseginst.utils import register_all_modules
from mmseginst.utils.classes import prepare_classes
from mmseginst.utils.config_checks import check_data_paths
from mmseginst.utils.dist_utils import (process_group_teardown,
                                         setup_cpu_distributed)
from mmseginst.utils.tool_args import add_common_args, load_config
from mmseginst.visualization import scaled_visualizer_cfg


def parse_args():
    parser = argparse.ArgumentParser(
        description='Test (and evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--out',
        type=str,
        help='dump predictions to a pickle file for offline evaluation')
    parser.add_argument(
        '--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir',
        help='directory where painted images will be saved. If specified, '
        'it will be automatically saved to the work_dir/timestamp/show_dir')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument(
        '--scale',
        type=float,
        help='drawing scale of --show/--show-dir pictures (default: small '
        'images are enlarged to a short side of at least 512 px)')
    parser.add_argument('--tta', action='store_true', help='test-time aug')
    add_common_args(parser)
    return parser.parse_args()


def trigger_visualization_hook(cfg, args):
    default_hooks = cfg.default_hooks
    if 'visualization' not in default_hooks:
        raise RuntimeError(
            'VisualizationHook must be included in default_hooks; refer to '
            "configs/_base_/default_runtime.py: visualization=dict(type="
            "'DetVisualizationHook')")
    visualizer_hook = default_hooks['visualization']
    visualizer_hook['draw'] = True
    if args.show:
        visualizer_hook['show'] = True
        visualizer_hook['wait_time'] = args.wait_time
    if args.show_dir:
        visualizer_hook['test_out_dir'] = args.show_dir
    if args.scale is not None:
        cfg.visualizer = scaled_visualizer_cfg(cfg.visualizer, args.scale)
    return cfg


def apply_tta(cfg):
    if 'tta_model' not in cfg or 'tta_pipeline' not in cfg:
        raise RuntimeError(
            '--tta needs `tta_model` and `tta_pipeline` in the config')
    cfg.model = dict(**cfg.tta_model, module=cfg.model)
    test_data_cfg = cfg.test_dataloader.dataset
    while 'dataset' in test_data_cfg:
        test_data_cfg = test_data_cfg['dataset']
    test_data_cfg.pipeline = cfg.tta_pipeline


@annotation_errors_named()
def main():
    args = parse_args()
    register_all_modules(init_default_scope=False)
    cfg = load_config(args)
    if '://' not in args.checkpoint and not osp.isfile(args.checkpoint):
        raise FileNotFoundError(
            f'checkpoint {args.checkpoint!r} does not exist')
    cfg.load_from = args.checkpoint
    if args.out is not None and not args.out.endswith(('.pkl', '.pickle')):
        raise ValueError(f'--out {args.out!r}: the output file must be a '
                         '.pkl or .pickle file')
    if args.show or args.show_dir:
        cfg = trigger_visualization_hook(cfg, args)
    if args.tta:
        apply_tta(cfg)
    check_data_paths(cfg, ['test_dataloader'])
    cfg.custom_hooks = [*cfg.get('custom_hooks', []),
                        dict(type='ProgressBarHook')]
    prepare_classes(cfg, ['test_dataloader'], args.classes,
                    args.allow_class_subset, checkpoint=args.checkpoint)
    setup_cpu_distributed(cfg, args.launcher)

    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)

    if args.out is not None:
        from mmdet.evaluation import DumpDetResults
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        runner.test_evaluator.metrics.append(
            DumpDetResults(out_file_path=args.out))
    runner.test()


if __name__ == '__main__':
    with process_group_teardown():
        main()
