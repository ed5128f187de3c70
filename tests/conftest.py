"""Shared fixtures: repository paths and a tiny shapes dataset."""
import os
import os.path as osp
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
TINY_CONFIG = osp.join(REPO, 'tests', 'data', 'configs',
                       'mask-rcnn_tiny_shapes.py')


@pytest.fixture(scope='session')
def repo_root():
    return REPO


@pytest.fixture(scope='session')
def tiny_shapes(tmp_path_factory):
    """A 12-train / 6-val shapes set of 64x64 images (data root path)."""
    from mmseginst.datasets.shapes_generator import (ShapesSpec,
                                                     generate_shapes_dataset)
    root = tmp_path_factory.mktemp('shapes')
    generate_shapes_dataset(str(root), 12, 6, seed=0,
                            spec=ShapesSpec(height=64, width=64))
    return str(root) + '/'


def data_options(root):
    """--cfg-options that point the shapes configs at ``root``."""
    ann = osp.join(root, 'annotations', 'instances_val.json')
    return [
        f'train_dataloader.dataset.data_root={root}',
        f'val_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.data_root={root}',
        f'val_evaluator.ann_file={ann}', f'test_evaluator.ann_file={ann}'
    ]


def run_tool(args, timeout=600, env=None, check=True, **kwargs):
    """Run a repository tool with this interpreter; return the process."""
    full_env = dict(os.environ)
    full_env.setdefault('OMP_NUM_THREADS', '1')
    full_env.update(env or {})
    proc = subprocess.run([sys.executable] + args, cwd=REPO, env=full_env,
                          capture_output=True, text=True, timeout=timeout,
                          **kwargs)
    if check and proc.returncode != 0:
        raise AssertionError(f'{args} failed ({proc.returncode}):\n'
                             f'{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}')
    return proc


@pytest.fixture(scope='session')
def tiny_checkpoint(tiny_shapes, tmp_path_factory):
    """A checkpoint of the tiny config after 2 iterations."""
    work = str(tmp_path_factory.mktemp('tiny_ckpt'))
    run_tool(['tools/train.py', TINY_CONFIG, '--work-dir', work,
              '--cfg-options', *data_options(tiny_shapes),
              'train_cfg.max_iters=2', 'train_cfg.val_interval=100'])
    return osp.join(work, 'iter_2.pth')


@pytest.fixture(scope='session')
def tiny_run(tiny_shapes, tmp_path_factory):
    """Work dir of the tiny config trained for 4 iterations (evaluated at 2
    and 4), then tested with ``--out results.pkl --show-dir vis`` at
    ``--scale 6``."""
    work = str(tmp_path_factory.mktemp('tiny_run'))
    run_tool(['tools/train.py', TINY_CONFIG, '--work-dir', work,
              '--cfg-options', *data_options(tiny_shapes),
              'train_cfg.max_iters=4', 'train_cfg.val_interval=2'])
    run_tool(['tools/test.py', TINY_CONFIG, osp.join(work, 'iter_4.pth'),
              '--work-dir', work, '--out', osp.join(work, 'results.pkl'),
              '--show-dir', 'vis', '--scale', '6', '--cfg-options',
              *data_options(tiny_shapes)])
    return work
