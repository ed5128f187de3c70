"""Crash-safe writes: a file is either its old content or its new content.

Data goes to a temporary file in the destination folder, is flushed to disk,
then renamed over the destination (``os.replace`` is atomic on POSIX and
Windows within one file system). A process killed while writing leaves the
previous file untouched and at most a hidden ``.<name>.*.tmp`` behind.
"""
import os
import os.path as osp
import tempfile
from typing import Union

from mmengine.fileio import LocalBackend, register_backend


def atomic_write_bytes(filepath: Union[str, os.PathLike], data: bytes) -> None:
    """Write ``data`` to ``filepath`` atomically, creating parent folders."""
    filepath = os.fspath(filepath)
    folder = osp.dirname(osp.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        dir=folder, prefix=f'.{osp.basename(filepath)}.', suffix='.tmp')
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, filepath)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


class AtomicLocalBackend(LocalBackend):
    """mmengine's local file backend whose ``put``/``put_text`` are atomic.

    Registered for the local (no prefix) scheme, it makes every checkpoint
    and ``last_checkpoint`` pointer that mmengine writes crash-safe.
    """

    def put(self, obj: bytes, filepath) -> None:
        atomic_write_bytes(filepath, obj)

    def put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
        atomic_write_bytes(filepath, obj.encode(encoding))


def install_atomic_local_backend() -> None:
    """Make :class:`AtomicLocalBackend` mmengine's backend for local paths.

    mmengine caches one backend instance per prefix and arguments: the
    local ones made before this call are dropped so that later
    ``get_file_backend`` calls return the atomic backend too.
    """
    from mmengine.fileio import io as mmengine_io
    register_backend('local', AtomicLocalBackend, force=True, prefixes='')
    for key, backend in list(mmengine_io.backend_instances.items()):
        if type(backend) is LocalBackend:
            del mmengine_io.backend_instances[key]
