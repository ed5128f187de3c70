"""The package passes the project's lint settings: ruff with pyflakes and
pycodestyle (ruff.toml) and isort's import order (setup.cfg, mmdet's
settings)."""
import subprocess
import sys

from conftest import REPO


def run(*args):
    return subprocess.run([sys.executable, '-m', *args], cwd=REPO,
                          capture_output=True, text=True)


def test_ruff_finds_nothing_in_the_package():
    proc = run('ruff', 'check', '--no-cache', 'mmseginst')
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_imports_of_the_package_are_sorted():
    proc = run('isort', '--check-only', '--diff', 'mmseginst')
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_test_file_names_are_unique():
    """The tests are imported by file name (no packages): two files of one
    name in different folders stop the whole run at collection."""
    import collections
    import glob
    import os.path as osp
    names = collections.Counter(
        osp.basename(p)
        for p in glob.glob(osp.join(REPO, 'tests', '**', 'test_*.py'),
                           recursive=True))
    assert [n for n, c in names.items() if c > 1] == []
