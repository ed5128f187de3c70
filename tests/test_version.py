import importlib.metadata

import pytest

import mmseginst


def test_versions_are_checked_with_install_hints(monkeypatch):
    mmseginst.check_versions()  # the installed stack passes
    real = importlib.metadata.version

    def fake(name):
        return {'mmcv': '2.2.0'}.get(name) or real(name)

    monkeypatch.setattr(mmseginst._md, 'version', fake)
    with pytest.raises(ImportError) as err:
        mmseginst.check_versions()
    msg = str(err.value)
    assert 'mmcv==2.2.0' in msg and '< 2.2.0' in msg
    assert 'tools/setup_env.sh' in msg

    def missing(name):
        if name == 'mmdet':
            raise importlib.metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(mmseginst._md, 'version', missing)
    with pytest.raises(ImportError, match='mmdet is not installed.*'
                       'pip install mmdet==3.3.0'):
        mmseginst.check_versions()
