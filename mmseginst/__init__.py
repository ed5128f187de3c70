"""mmseginst: five instance-segmentation papers on one mmdet 3.x code base."""
import importlib.metadata as _md

from .version import __version__, version_info

# (package, minimum inclusive, maximum exclusive, what to install)
_REQUIREMENTS = (
    ('mmengine', '0.10.0', '1.0.0', 'pip install mmengine==0.10.7'),
    ('mmcv', '2.0.0rc4', '2.2.0',
     'mmcv 2.1.0 built with compiled ops: run `bash tools/setup_env.sh` '
     '(CPU) or `pip install mmcv==2.1.0 -f '
     'https://download.openmmlab.com/mmcv/dist/<cuda>/<torch>/index.html`'),
    ('mmdet', '3.0.0', '3.4.0', 'pip install mmdet==3.3.0'),
)


def _digits(version: str) -> tuple:
    from mmengine.utils import digit_version
    return digit_version(version)


def check_versions() -> None:
    """Raise ``ImportError`` naming what to install when a dependency is
    missing, out of range, or (mmcv) lacks its compiled ops."""
    problems = []
    for name, low, high, how in _REQUIREMENTS:
        try:
            found = _md.version(name)
        except _md.PackageNotFoundError:
            problems.append(f'{name} is not installed; install it with: {how}')
            continue
        if not _digits(low) <= _digits(found) < _digits(high):
            problems.append(
                f'{name}=={found} is installed but mmseginst needs '
                f'{low} <= {name} < {high}; install it with: {how}')
    if not problems:
        try:
            import mmcv.ops  # noqa: F401  (mmdet's masks import it)
        except Exception as exc:  # mmcv-lite or a broken build
            problems.append(
                'mmcv is installed without its compiled ops (mmcv-lite or a '
                f'failed build: {exc!r}); rebuild it with '
                '`bash tools/setup_env.sh` or install a full mmcv wheel')
    if problems:
        raise ImportError('mmseginst cannot run:\n  - ' +
                          '\n  - '.join(problems))


check_versions()

from .utils import install_safe_io, register_all_modules  # noqa: E402

__all__ = [
    '__version__', 'version_info', 'check_versions', 'install_safe_io',
    'register_all_modules'
]
