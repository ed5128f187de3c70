"""AtomicCheckpointHook: used by every config; cleans only its own
temporaries. (Kills at each step of a save: tests/test_tools/
test_checkpoint_kill_resume.py.)"""
import glob
import os.path as osp
from collections import deque
from types import SimpleNamespace

import pytest
from mmengine.config import Config
from mmengine.fileio import LocalBackend

from conftest import REPO
from mmseginst.engine.hooks import AtomicCheckpointHook

CONFIGS = sorted(
    p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                         recursive=True) if '_base_' not in p)


@pytest.mark.parametrize('path', CONFIGS,
                         ids=[osp.relpath(p, REPO) for p in CONFIGS])
def test_every_config_saves_with_the_atomic_hook(path):
    hook = Config.fromfile(path).default_hooks.checkpoint
    assert hook.type == 'AtomicCheckpointHook', path


def test_stale_temporaries_of_this_hook_only_are_removed(tmp_path):
    work, out = tmp_path / 'work', tmp_path / 'out'
    work.mkdir()
    out.mkdir()
    names = {
        out: ['.iter_4.pth.ab12.tmp', '.iter_10.pth.x.tmp', 'iter_4.pth',
              '.epoch_3.pth.y.tmp', '.notes.txt.z.tmp'],
        work: ['.last_checkpoint.q1.tmp', 'last_checkpoint', '.other.tmp'],
    }
    for folder, files in names.items():
        for name in files:
            (folder / name).write_bytes(b'x')
    hook = AtomicCheckpointHook(interval=1, by_epoch=False)
    hook.out_dir, hook.file_backend = str(out), LocalBackend()
    hook._remove_stale_temporaries(str(work))
    assert sorted(p.name for p in out.iterdir()) == [
        '.epoch_3.pth.y.tmp', '.notes.txt.z.tmp', 'iter_4.pth']
    assert sorted(p.name for p in work.iterdir()) == [
        '.other.tmp', 'last_checkpoint']


def test_outdated_steps_are_recorded_before_the_save():
    """What a resumed run needs to finish a removal cut short."""
    infos = {}
    runner = SimpleNamespace(message_hub=SimpleNamespace(
        update_info=infos.__setitem__))
    hook = AtomicCheckpointHook(interval=1, by_epoch=False, max_keep_ckpts=2)
    hook.keep_ckpt_ids = deque([], 2)
    assert [hook._update_kept_steps(runner, s) for s in (1, 2, 3, 3, 4)] == \
        [[], [], [1], [], [2]]
    assert infos == {'keep_ckpt_ids': [3, 4], 'ckpt_ids_to_remove': [2]}
