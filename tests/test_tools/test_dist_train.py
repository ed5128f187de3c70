"""Two CPU processes (gloo) through tools/dist_train.sh."""
import os
import os.path as osp
import socket
import sys

import torch

from conftest import TINY_CONFIG, data_options, run_tool


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_two_process_gloo_training(tiny_shapes, tmp_path):
    work = str(tmp_path / 'ddp')
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(_free_port()),
               OMP_NUM_THREADS='1')
    import subprocess
    from conftest import REPO
    proc = subprocess.run(
        ['bash', 'tools/dist_train.sh', TINY_CONFIG, '2', '--work-dir', work,
         '--cfg-options', *data_options(tiny_shapes),
         'train_cfg.max_iters=4', 'train_cfg.val_interval=4'],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-5000:]
    assert 'Distributed training: True' in log
    assert 'GPU number: 2' in log  # mmengine's name for the world size
    assert 'Iter(train) [4/4]' in log
    assert 'coco/segm_mAP' in log
    ckpt = torch.load(osp.join(work, 'iter_4.pth'), weights_only=False)
    assert ckpt['meta']['iter'] == 4
    # DDP wrapper removed when saving: plain detector keys
    assert not any(k.startswith('module.') for k in ckpt['state_dict'])
