"""Two CPU processes (gloo) through tools/dist_train.sh."""
import os
import os.path as osp
import socket
import subprocess
import sys

import torch

from conftest import REPO, TINY_CONFIG, data_options

# Imported by every Python process of the run (sitecustomize on PYTHONPATH):
# at interpreter exit, records whether a default process group is still
# alive. One left alive is what makes a gloo rank abort now and then while
# Python shuts down, so every rank must report 'destroyed'.
EXIT_PROBE = '''
import atexit, os, sys

def _report():
    dist = sys.modules.get('torch.distributed')
    alive = bool(dist is not None and dist.is_available()
                 and dist.is_initialized())
    rank = os.environ.get('RANK', 'launcher')
    path = os.path.join(os.environ['PG_EXIT_PROBE_DIR'], 'rank-' + rank)
    with open(path, 'w') as f:
        f.write('alive' if alive else 'destroyed')

atexit.register(_report)
'''


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_two_process_gloo_training(tiny_shapes, tmp_path):
    work = str(tmp_path / 'ddp')
    probe_dir = tmp_path / 'probe'
    probe_dir.mkdir()
    (probe_dir / 'sitecustomize.py').write_text(EXIT_PROBE)
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(_free_port()),
               OMP_NUM_THREADS='1', PG_EXIT_PROBE_DIR=str(probe_dir),
               PYTHONPATH=os.pathsep.join(
                   [str(probe_dir), os.environ.get('PYTHONPATH', '')]))
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
    for rank in ('0', '1'):
        state = (probe_dir / f'rank-{rank}').read_text()
        assert state == 'destroyed', f'rank {rank}: process group {state} ' \
            'at interpreter exit'
    ckpt = torch.load(osp.join(work, 'iter_4.pth'), weights_only=False)
    assert ckpt['meta']['iter'] == 4
    # DDP wrapper removed when saving: plain detector keys
    assert not any(k.startswith('module.') for k in ckpt['state_dict'])
