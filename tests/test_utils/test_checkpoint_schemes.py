"""Every checkpoint address mmengine resolves loads through the safe loader.

A malicious file is planted where mmengine looks for the address (the torch
hub cache of a temporary ``TORCH_HOME``, the mmengine home, a fake pavi or
s3 backend); loading must refuse it, name it and run nothing. Nothing is
downloaded: ``torch.hub.download_url_to_file`` fails the test if called.
"""
import os
import os.path as osp
import sys
import types
from urllib.parse import urlparse

import pytest
import torch
from mmengine.runner import checkpoint as mmengine_checkpoint
from mmengine.runner.checkpoint import CheckpointLoader

from mmseginst.utils import checkpoint as safe_checkpoint
from mmseginst.utils import install_safe_io
from mmseginst.utils.checkpoint import UntrustedCheckpointError
from test_checkpoint import Exploit, mmengine_like_checkpoint


@pytest.fixture(autouse=True)
def isolated_homes(tmp_path, monkeypatch):
    install_safe_io()
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    monkeypatch.setenv('MMENGINE_HOME', str(tmp_path / 'mmengine'))
    monkeypatch.setattr(torch.hub, '_hub_dir', None)

    def no_download(url, *args, **kwargs):
        raise AssertionError(f'the test tried to download {url}')

    monkeypatch.setattr(torch.hub, 'download_url_to_file', no_download)


def plant_in_hub_cache(url, tmp_path, content):
    """Write ``content`` where torch.hub caches ``url``."""
    cached = osp.join(str(tmp_path), 'torch', 'hub', 'checkpoints',
                      osp.basename(urlparse(url).path))
    os.makedirs(osp.dirname(cached), exist_ok=True)
    torch.save(content, cached)
    return cached


def _zoo_url(address):
    scheme, name = address.split('://', 1)
    if scheme in ('open-mmlab', 'openmmlab'):
        name = mmengine_checkpoint.get_deprecated_model_names().get(
            name, name)
        return mmengine_checkpoint.get_external_models()[name]
    if scheme == 'mmcls':
        return mmengine_checkpoint.get_mmcls_models()[name]
    return safe_checkpoint._torchvision_urls()[name]


ZOO_ADDRESSES = ['open-mmlab://resnet50_v1c', 'openmmlab://resnet50_v1c',
                 'mmcls://resnet50', 'torchvision://resnet50',
                 'modelzoo://resnet50', 'open-mmlab://resnet50_caffe']


@pytest.mark.parametrize('address', ZOO_ADDRESSES)
def test_model_zoo_address_runs_no_code(address, tmp_path):
    marker = tmp_path / 'pwned'
    cached = plant_in_hub_cache(_zoo_url(address), tmp_path,
                                {'state_dict': {}, 'x': Exploit(marker)})
    with pytest.raises(UntrustedCheckpointError) as err:
        CheckpointLoader.load_checkpoint(address, map_location='cpu')
    assert cached in str(err.value)
    assert not marker.exists()


@pytest.mark.parametrize('address', ZOO_ADDRESSES[:3])
def test_model_zoo_address_loads_plain_weights(address, tmp_path):
    ckpt = mmengine_like_checkpoint()
    ckpt['state_dict'] = {'backbone.w': torch.ones(2)}
    plant_in_hub_cache(_zoo_url(address), tmp_path, ckpt)
    loaded = CheckpointLoader.load_checkpoint(address, map_location='cpu')
    if address.startswith('mmcls://'):  # mmengine keeps the backbone only
        assert list(loaded['state_dict']) == ['w']
    else:
        assert loaded['meta']['iter'] == 4


def test_open_mmlab_name_of_a_local_file(tmp_path):
    """``$MMENGINE_HOME/open_mmlab.json`` may map a name to a file there."""
    home = tmp_path / 'mmengine'
    home.mkdir()
    (home / 'open_mmlab.json').write_text('{"mine": "weights/mine.pth"}')
    (home / 'weights').mkdir()
    marker = tmp_path / 'pwned'
    torch.save({'x': Exploit(marker)}, home / 'weights' / 'mine.pth')
    with pytest.raises(UntrustedCheckpointError, match='mine.pth'):
        CheckpointLoader.load_checkpoint('open-mmlab://mine')
    assert not marker.exists()


def test_unknown_zoo_name_is_named():
    with pytest.raises(KeyError, match='open-mmlab://no_such_model'):
        CheckpointLoader.load_checkpoint('open-mmlab://no_such_model')


def test_pavi_address_runs_no_code(tmp_path, monkeypatch):
    marker = tmp_path / 'pwned'
    src = tmp_path / 'evil.pth'
    torch.save({'x': Exploit(marker)}, src)

    class Model:
        name = 'evil.pth'

        def download(self, dst):
            with open(src, 'rb') as fin, open(dst, 'wb') as fout:
                fout.write(fin.read())

    pavi = types.ModuleType('pavi')
    pavi.modelcloud = types.SimpleNamespace(get=lambda path: Model())
    monkeypatch.setitem(sys.modules, 'pavi', pavi)
    with pytest.raises(UntrustedCheckpointError, match='pavi://run/evil'):
        CheckpointLoader.load_checkpoint('pavi://run/evil.pth')
    assert not marker.exists()


def test_s3_address_runs_no_code(tmp_path, monkeypatch):
    marker = tmp_path / 'pwned'
    src = tmp_path / 'evil.pth'
    torch.save({'x': Exploit(marker)}, src)

    class Backend:

        def get(self, filename):
            return src.read_bytes()

    monkeypatch.setattr(safe_checkpoint, 'get_file_backend',
                        lambda *args, **kwargs: Backend())
    with pytest.raises(UntrustedCheckpointError, match='s3://bucket/evil'):
        CheckpointLoader.load_checkpoint('s3://bucket/evil.pth')
    assert not marker.exists()
