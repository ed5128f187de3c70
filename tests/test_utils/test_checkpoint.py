import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import _load_checkpoint

from mmseginst.utils import install_safe_io
from mmseginst.utils.atomic_io import AtomicLocalBackend, atomic_write_bytes
from mmseginst.utils.checkpoint import (TRUST_ENV, UntrustedCheckpointError,
                                        safe_torch_load, trust_checkpoints)


@pytest.fixture(autouse=True, scope='module')
def safe_io():
    """What register_all_modules() and the tools do."""
    install_safe_io()


class Exploit:
    """Unpickling this runs ``os.system`` (here a harmless touch)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def mmengine_like_checkpoint():
    buf = HistoryBuffer()
    buf.update(0.5)
    buf.update(0.25)
    return {
        'meta': {'epoch': 1, 'iter': 4, 'seed': np.int64(7),
                 'dtype': np.dtype('float32')},
        'state_dict': {'w': torch.ones(2, 3)},
        'message_hub': {'log_scalars': {'loss': buf},
                        'runtime_info': {'arr': np.arange(3)}},
    }


def test_mmengine_checkpoint_loads_with_weights_only(tmp_path):
    path = tmp_path / 'ckpt.pth'
    torch.save(mmengine_like_checkpoint(), path)
    # plain torch >= 2.6 refuses it ...
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)
    # ... the mmseginst loader (installed for mmengine) does not
    ckpt = _load_checkpoint(str(path), map_location='cpu')
    assert ckpt['meta']['iter'] == 4
    assert isinstance(ckpt['message_hub']['log_scalars']['loss'],
                      HistoryBuffer)
    assert ckpt['message_hub']['log_scalars']['loss'].mean() == 0.375
    assert np.array_equal(ckpt['message_hub']['runtime_info']['arr'],
                          np.arange(3))


def test_malicious_pickle_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv(TRUST_ENV, raising=False)
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'x': Exploit(marker)}, path)
    with pytest.raises(UntrustedCheckpointError) as err:
        _load_checkpoint(str(path), map_location='cpu')
    assert str(path) in str(err.value)
    assert 'system' in str(err.value)
    assert '--trust-checkpoint' in str(err.value)
    assert not marker.exists()


def test_trust_flag_allows_full_unpickling(tmp_path, monkeypatch):
    monkeypatch.delenv(TRUST_ENV, raising=False)
    marker = tmp_path / 'ran'
    path = tmp_path / 'trusted.pth'
    torch.save({'x': Exploit(marker)}, path)
    trust_checkpoints(True)
    try:
        safe_torch_load(str(path))
    finally:
        trust_checkpoints(False)
    assert marker.exists()
    marker.unlink()
    monkeypatch.setenv(TRUST_ENV, '1')
    safe_torch_load(str(path))
    assert marker.exists()


def test_missing_and_corrupt_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        safe_torch_load(str(tmp_path / 'nope.pth'))
    path = tmp_path / 'ckpt.pth'
    torch.save(mmengine_like_checkpoint(), path)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(RuntimeError, match='corrupt or truncated'):
        safe_torch_load(str(path))


def test_atomic_write_keeps_old_content_on_failure(tmp_path, monkeypatch):
    target = tmp_path / 'latest.pth'
    atomic_write_bytes(target, b'old')

    def boom(fd):
        raise KeyboardInterrupt('killed while saving')

    monkeypatch.setattr(os, 'fsync', boom)
    with pytest.raises(KeyboardInterrupt):
        AtomicLocalBackend().put(b'new-but-interrupted', str(target))
    monkeypatch.undo()
    assert target.read_bytes() == b'old'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['latest.pth']
    AtomicLocalBackend().put_text('new', str(target))
    assert target.read_text() == 'new'


def test_mmengine_saves_through_atomic_backend(tmp_path):
    from mmengine.fileio import get_file_backend
    from mmengine.runner.checkpoint import save_checkpoint
    assert isinstance(get_file_backend(str(tmp_path)), AtomicLocalBackend)
    path = tmp_path / 'sub' / 'epoch_1.pth'
    save_checkpoint(mmengine_like_checkpoint(), str(path))
    assert safe_torch_load(str(path))['meta']['iter'] == 4


def test_getattr_is_restricted_to_history_buffer(tmp_path):
    """The getattr stand-in must not reach other attributes."""

    class Sneaky:

        def __init__(self, obj, name):
            self.args = (obj, name)

        def __reduce__(self):
            return (getattr, self.args)

    for obj, name in ((HistoryBuffer, '__init__'),
                      (HistoryBuffer, '_set_default_statistics'),
                      (np.ndarray, 'tofile')):
        path = tmp_path / 'sneaky.pth'
        torch.save({'x': Sneaky(obj, name)}, path)
        with pytest.raises(UntrustedCheckpointError):
            safe_torch_load(str(path))


def test_history_buffer_loads_in_a_fresh_process(tmp_path):
    """Statistics methods are registered lazily by mmengine; loading must
    not depend on a HistoryBuffer having been created before."""
    import subprocess
    import sys
    path = tmp_path / 'hb.pth'
    torch.save(mmengine_like_checkpoint(), path)
    code = ('from mmseginst.utils.checkpoint import '
            f'safe_torch_load; c = safe_torch_load({str(path)!r}); '
            "print(c['message_hub']['log_scalars']['loss'].mean())")
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == '0.375'


def test_http_checkpoints_use_the_safe_loader(tmp_path, monkeypatch):
    """A URL is downloaded once into the hub cache and loaded safely."""
    from mmengine.runner.checkpoint import CheckpointLoader
    src = tmp_path / 'src.pth'
    torch.save({'x': Exploit(tmp_path / 'pwned')}, src)
    calls = []

    def fake_download(url, dst, progress=False):
        calls.append(url)
        with open(src, 'rb') as fin, open(dst, 'wb') as fout:
            fout.write(fin.read())

    monkeypatch.setattr(torch.hub, 'download_url_to_file', fake_download)
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path / 'hub'))
    url = 'https://example.com/models/evil.pth'
    with pytest.raises(UntrustedCheckpointError):
        CheckpointLoader.load_checkpoint(url, map_location='cpu')
    assert calls == [url] and not (tmp_path / 'pwned').exists()
    torch.save(mmengine_like_checkpoint(), tmp_path / 'hub' / 'checkpoints'
               / 'evil.pth')
    ckpt = CheckpointLoader.load_checkpoint(url, map_location='cpu')
    assert ckpt['meta']['iter'] == 4 and calls == [url]  # cached
