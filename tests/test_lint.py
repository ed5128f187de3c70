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
