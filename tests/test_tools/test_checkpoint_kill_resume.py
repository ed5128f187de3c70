"""Training killed (SIGKILL) at each step of a checkpoint save resumes from
a complete checkpoint with ``--resume``, and at the right iteration.

The tiny config saves every iteration and keeps one checkpoint
(``max_keep_ckpts=1``). The save of ``iter_2.pth`` is killed:

* ``checkpoint``: when the new checkpoint is about to be renamed into place
  (its temporary ``.iter_2.pth.*.tmp`` is written);
* ``pointer``: when ``last_checkpoint`` is about to be replaced;
* ``remove``: when the outdated ``iter_1.pth`` is about to be removed.

mmengine's own hook removes ``iter_1.pth`` before writing ``iter_2.pth`` and
writes the pointer in place, so the first two kills leave nothing to resume
from.
"""
import os
import os.path as osp
import signal
import subprocess
import sys

import pytest
import torch

from conftest import REPO, TINY_CONFIG, data_options, run_tool

# Runs tools/train.py in this process after wrapping os.replace / os.remove
# so that the chosen step of the save of iter_2.pth kills the process.
_KILLER = r'''
import os, runpy, signal, sys
point = sys.argv.pop(1)
real_replace, real_remove = os.replace, os.remove


def die():
    os.kill(os.getpid(), signal.SIGKILL)


def replace(src, dst, *args, **kwargs):
    name = os.path.basename(dst)
    if point == 'checkpoint' and name == 'iter_2.pth':
        die()
    if point == 'pointer' and name == 'last_checkpoint':
        with open(src) as f:
            if f.read().endswith('iter_2.pth'):
                die()
    return real_replace(src, dst, *args, **kwargs)


def remove(path, *args, **kwargs):
    if point == 'remove' and os.path.basename(path) == 'iter_1.pth':
        die()
    return real_remove(path, *args, **kwargs)


os.replace, os.remove = replace, remove
sys.argv[0] = 'tools/train.py'
runpy.run_path('tools/train.py', run_name='__main__')
'''

# point -> (files in the work dir after the kill, iteration resumed from)
EXPECTED = {
    'checkpoint': ({'iter_1.pth'}, 1),
    'pointer': ({'iter_1.pth', 'iter_2.pth'}, 1),
    'remove': ({'iter_1.pth', 'iter_2.pth'}, 2),
}


def _options(root, max_iters):
    return ['--cfg-options', *data_options(root),
            f'train_cfg.max_iters={max_iters}', 'train_cfg.val_begin=1000',
            'default_hooks.checkpoint.interval=1',
            'default_hooks.checkpoint.max_keep_ckpts=1']


def _checkpoints(work):
    return {n for n in os.listdir(work) if n.endswith('.pth')}


def _temporaries(work):
    return [n for n in os.listdir(work) if n.endswith('.tmp')]


@pytest.mark.parametrize('point', sorted(EXPECTED))
def test_kill_during_save_then_resume(point, tiny_shapes, tmp_path):
    work = str(tmp_path / 'w')
    env = dict(os.environ, OMP_NUM_THREADS='1')
    killed = subprocess.run(
        [sys.executable, '-c', _KILLER, point, TINY_CONFIG, '--work-dir',
         work, *_options(tiny_shapes, 3)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    files, resumed_iter = EXPECTED[point]
    assert _checkpoints(work) == files
    with open(osp.join(work, 'last_checkpoint')) as f:
        assert f.read() == osp.join(work, f'iter_{resumed_iter}.pth')
    if point == 'checkpoint':
        assert len(_temporaries(work)) == 1  # the killed save's

    resumed = run_tool(['tools/train.py', TINY_CONFIG, '--work-dir', work,
                        '--resume', *_options(tiny_shapes, 3)])
    log = resumed.stdout + resumed.stderr
    assert f'resumed epoch: 0, iter: {resumed_iter}' in log
    assert f'Iter(train) [{resumed_iter + 1}/3]' in log
    # stale temporaries and outdated checkpoints are gone
    assert _temporaries(work) == []
    assert _checkpoints(work) == {'iter_3.pth'}
    ckpt = torch.load(osp.join(work, 'iter_3.pth'), weights_only=False)
    assert ckpt['meta']['iter'] == 3


@pytest.mark.parametrize('pointer', ['', 'iter_9.pth'])
def test_resume_with_empty_or_dangling_pointer(pointer, tiny_checkpoint,
                                               tiny_shapes, tmp_path):
    """Falls back to the newest complete checkpoint and says which; a
    truncated newer file is skipped."""
    work = tmp_path / 'w'
    work.mkdir()
    data = open(tiny_checkpoint, 'rb').read()
    (work / 'iter_2.pth').write_bytes(data)
    (work / 'iter_3.pth').write_bytes(data[:len(data) // 2])
    (work / 'last_checkpoint').write_text(
        pointer and str(work / pointer))
    resumed = run_tool(['tools/train.py', TINY_CONFIG, '--work-dir',
                        str(work), '--resume', *_options(tiny_shapes, 3)])
    log = resumed.stdout + resumed.stderr
    assert 'resuming from the newest complete checkpoint in the work ' \
        f"dir, '{work / 'iter_2.pth'}'" in log
    state = 'is empty' if not pointer else \
        f"names '{work / pointer}', which does not exist"
    assert f"{work / 'last_checkpoint'} {state}" in log
    assert 'resumed epoch: 0, iter: 2' in log
    assert 'Iter(train) [3/3]' in log
