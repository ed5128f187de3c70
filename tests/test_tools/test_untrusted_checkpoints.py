"""The tools refuse a malicious checkpoint behind a model-zoo address: given
to tools/test.py, as ``load_from``, and named by ``last_checkpoint`` for
``--resume``. The file is planted in the hub cache of a temporary
TORCH_HOME, so nothing is downloaded."""
import os
import os.path as osp

import pytest
import torch

from conftest import TINY_CONFIG, data_options, run_tool
from test_utils.test_checkpoint import Exploit  # noqa: E402


def _plant(tmp_path, url_basename):
    marker = tmp_path / 'pwned'
    cached = tmp_path / 'torch' / 'hub' / 'checkpoints' / url_basename
    os.makedirs(cached.parent, exist_ok=True)
    torch.save({'state_dict': {}, 'x': Exploit(marker)}, cached)
    env = {'TORCH_HOME': str(tmp_path / 'torch'),
           'MMENGINE_HOME': str(tmp_path / 'mmengine')}
    return marker, str(cached), env


def _assert_refused(proc, marker, cached):
    assert proc.returncode != 0
    assert 'UntrustedCheckpointError' in proc.stderr
    assert cached in proc.stderr
    assert not marker.exists()


def test_test_tool_refuses_open_mmlab_address(tiny_shapes, tmp_path):
    marker, cached, env = _plant(tmp_path, 'resnet50_v1c-2cccc1ad.pth')
    proc = run_tool(['tools/test.py', TINY_CONFIG, 'open-mmlab://resnet50_v1c',
                     '--work-dir', str(tmp_path / 'w'), '--cfg-options',
                     *data_options(tiny_shapes)], env=env, check=False)
    _assert_refused(proc, marker, cached)


@pytest.mark.parametrize('how', ['load_from', 'resume'])
def test_train_tool_refuses_zoo_address(how, tiny_shapes, tmp_path):
    """``load_from=mmcls://...``; ``--resume`` with ``last_checkpoint``
    naming ``torchvision://...``."""
    work = tmp_path / 'w'
    args = ['tools/train.py', TINY_CONFIG, '--work-dir', str(work)]
    opts = [*data_options(tiny_shapes), 'train_cfg.max_iters=1']
    if how == 'load_from':
        marker, cached, env = _plant(
            tmp_path, 'resnet50_8xb32_in1k_20210831-ea4938fc.pth')
        opts.append('load_from=mmcls://resnet50')
    else:
        marker, cached, env = _plant(tmp_path, 'resnet50-0676ba61.pth')
        work.mkdir()
        (work / 'last_checkpoint').write_text('torchvision://resnet50')
        args.append('--resume')
    proc = run_tool(args + ['--cfg-options', *opts], env=env, check=False)
    _assert_refused(proc, marker, cached)
    assert not osp.exists(work / 'iter_1.pth')
