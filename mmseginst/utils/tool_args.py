"""Command-line options shared by tools/train.py and tools/test.py."""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction

from .checkpoint import trust_checkpoints
from .config_checks import check_cfg_options


def add_common_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        '--work-dir', help='the dir to save logs, checkpoints and results')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, xxx=yyy format; lists as '
        'key="[a,b]" or key=a,b, nested as key="[(a,b),(c,d)]" (no spaces)')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument(
        '--trust-checkpoint',
        action='store_true',
        help='allow checkpoints whose pickle references arbitrary objects '
        '(it can execute code): only for files from a source you trust')
    parser.add_argument(
        '--classes',
        nargs='+',
        metavar='NAME',
        help='the class names of your data, in the order of the annotation '
        "file's categories: set as metainfo of the train/val/test datasets, "
        'and every class count of the model follows')
    parser.add_argument(
        '--allow-class-subset',
        action='store_true',
        help='accept annotation files with categories that are not among '
        'the classes (their objects are ignored)')
    # torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def load_config(args: argparse.Namespace) -> Config:
    """Read the config, apply --cfg-options, the work dir and the launcher."""
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file {args.config!r} does not exist')
    if args.trust_checkpoint:
        trust_checkpoints(True)
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        check_cfg_options(cfg, args.cfg_options)
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    return cfg
