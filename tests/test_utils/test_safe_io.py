"""Importing mmseginst changes nothing global; install_safe_io() (called by
register_all_modules() and the tools) makes mmengine's checkpoint loading
and local writing ours."""
import json
import subprocess
import sys

# Records mmengine's checkpoint loaders and local file backend before and
# after importing every mmseginst package, then after install_safe_io().
_PROBE = r'''
import json
from mmengine.fileio import get_file_backend
from mmengine.fileio.backends import registry_utils
from mmengine.runner.checkpoint import CheckpointLoader


def state():
    return {
        'schemes': {p: f'{f.__module__}.{f.__name__}'
                    for p, f in CheckpointLoader._schemes.items()},
        'backends': {p: c.__name__
                     for p, c in registry_utils.prefix_to_backends.items()},
        'local': type(get_file_backend('/tmp/x.pth')).__name__,
    }


before = state()
import mmseginst  # noqa: E402
import mmseginst.datasets, mmseginst.engine, mmseginst.evaluation  # noqa
import mmseginst.models, mmseginst.utils.checkpoint  # noqa
import mmseginst.utils.atomic_io  # noqa
after_import = state()
mmseginst.install_safe_io()
print(json.dumps([before, after_import, state()]))
'''


def test_import_alone_changes_nothing_and_install_makes_io_ours():
    proc = subprocess.run([sys.executable, '-c', _PROBE],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    before, after_import, installed = json.loads(
        proc.stdout.strip().splitlines()[-1])
    assert after_import == before
    assert before['local'] == 'LocalBackend'
    # every address mmengine knows now goes through our loaders
    assert set(installed['schemes']) == set(before['schemes'])
    for prefix, loader in installed['schemes'].items():
        assert loader.startswith('mmseginst.utils.checkpoint.'), prefix
    assert installed['backends'][''] == 'AtomicLocalBackend'
    # the LocalBackend instance mmengine cached before is not reused
    assert installed['local'] == 'AtomicLocalBackend'


def test_register_all_modules_installs_safe_io(monkeypatch):
    from mmseginst.utils import setup_env
    calls = []
    monkeypatch.setattr(setup_env, 'install_safe_io',
                        lambda: calls.append(1))
    setup_env.register_all_modules(init_default_scope=False)
    assert calls == [1]
