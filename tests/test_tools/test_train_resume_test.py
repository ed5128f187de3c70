"""Round trip through the tools: train -> kill -> --resume -> test."""
import glob
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest
import torch

from conftest import REPO, TINY_CONFIG, data_options, run_tool


def _wait_for(path, proc, timeout=300):
    start = time.time()
    while not osp.exists(path):
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f'training ended early:\n{err[-4000:]}')
        if time.time() - start > timeout:
            proc.kill()
            raise AssertionError(f'{path} did not appear in {timeout}s')
        time.sleep(0.05)


def test_train_kill_resume_test(tiny_shapes, tmp_path):
    work = str(tmp_path / 'work')
    opts = data_options(tiny_shapes)
    env = dict(os.environ, OMP_NUM_THREADS='1')
    cmd = [sys.executable, 'tools/train.py', TINY_CONFIG, '--work-dir', work,
           '--cfg-options', *opts, 'train_cfg.max_iters=400',
           'train_cfg.val_interval=1000']
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait_for(osp.join(work, 'iter_4.pth'), proc)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL

    # what `latest` points to is a complete checkpoint
    with open(osp.join(work, 'last_checkpoint')) as f:
        latest = f.read().strip()
    saved_iter = torch.load(latest, weights_only=False)['meta']['iter']
    assert saved_iter >= 4 and latest.endswith(f'iter_{saved_iter}.pth')

    final = saved_iter + 2
    resumed = run_tool([
        'tools/train.py', TINY_CONFIG, '--work-dir', work, '--resume',
        '--cfg-options', *opts, f'train_cfg.max_iters={final}',
        f'train_cfg.val_interval={final}'
    ])
    log = resumed.stdout + resumed.stderr
    assert f'resumed epoch: 0, iter: {saved_iter}' in log
    assert f'Iter(train) [{saved_iter + 1}/{final}]' in log
    assert f'Iter(train) [1/{final}]' not in log
    ckpt = osp.join(work, f'iter_{final}.pth')
    assert torch.load(ckpt, weights_only=False)['meta']['iter'] == final
    assert 'coco/segm_mAP' in log

    out_pkl = str(tmp_path / 'results.pkl')
    tested = run_tool([
        'tools/test.py', TINY_CONFIG, ckpt, '--work-dir', work, '--out',
        out_pkl, '--show-dir', 'vis', '--cfg-options', *opts
    ])
    log = tested.stdout + tested.stderr
    assert 'coco/segm_mAP:' in log and 'coco/bbox_mAP:' in log
    assert osp.getsize(out_pkl) > 0
    pictures = glob.glob(osp.join(work, '*', 'vis', '*.png'))
    assert len(pictures) == 6


def test_resume_from_explicit_checkpoint_and_load_from(tiny_shapes,
                                                        tmp_path):
    work = str(tmp_path / 'w')
    opts = data_options(tiny_shapes)
    run_tool(['tools/train.py', TINY_CONFIG, '--work-dir', work,
              '--cfg-options', *opts, 'train_cfg.max_iters=2',
              'train_cfg.val_interval=100'])
    ckpt = osp.join(work, 'iter_2.pth')
    out = run_tool(['tools/train.py', TINY_CONFIG, '--work-dir', work,
                    '--resume', ckpt, '--cfg-options', *opts,
                    'train_cfg.max_iters=4', 'train_cfg.val_interval=100'])
    assert 'resumed epoch: 0, iter: 2' in out.stdout + out.stderr
    # load_from: weights only, the iteration count starts again
    work2 = str(tmp_path / 'w2')
    out = run_tool(['tools/train.py', TINY_CONFIG, '--work-dir', work2,
                    '--cfg-options', *opts, f'load_from={ckpt}',
                    'train_cfg.max_iters=2', 'train_cfg.val_interval=100'])
    log = out.stdout + out.stderr
    assert f'Load checkpoint from {ckpt}' in log
    assert 'Iter(train) [1/2]' in log
