"""Checkpoint loading that is safe under torch >= 2.6, and atomic saving.

torch >= 2.6 loads with ``weights_only=True``: only tensors and an allowlist
of plain types may be unpickled. mmengine's checkpoints also hold a few
data-only objects (``HistoryBuffer`` of the message hub, numpy arrays,
scalars and dtypes), so a plain ``torch.load`` refuses them and
``--resume``/``load_from`` break. Turning ``weights_only`` off for everyone
would let any downloaded checkpoint execute code on load.

This module instead registers, for local paths, a loader that keeps
``weights_only=True`` and adds exactly those data-only types to the
allowlist. A checkpoint whose pickle references anything else (for example
``os.system``) is refused with :class:`UntrustedCheckpointError`, unless the
user opts in explicitly for files they trust: ``--trust-checkpoint`` on the
tools, :func:`trust_checkpoints`, or ``MMSEGINST_TRUST_CHECKPOINTS=1``.

Importing :mod:`mmseginst` installs the loader and the atomic local file
backend (:mod:`.atomic_io`), so checkpoints are also written crash-safely.
"""
import inspect
import os
import os.path as osp
import pickle
import zipfile
from typing import List, Optional

import numpy as np
import torch
from mmengine.runner.checkpoint import CheckpointLoader

from .atomic_io import install_atomic_local_backend

TRUST_ENV = 'MMSEGINST_TRUST_CHECKPOINTS'
_trusted = {'value': False}


class UntrustedCheckpointError(pickle.UnpicklingError):
    """A checkpoint references objects that could run code when loaded."""


def trust_checkpoints(flag: bool = True) -> None:
    """Allow (``True``) or forbid (``False``) full unpickling of local
    checkpoints for the rest of this process. Only for files you trust."""
    _trusted['value'] = bool(flag)


def checkpoints_trusted() -> bool:
    """Whether full unpickling was allowed by the API or the environment."""
    return _trusted['value'] or os.environ.get(TRUST_ENV, '') == '1'


def _numpy_safe_globals() -> List:
    try:  # numpy >= 2
        from numpy._core import multiarray
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core import multiarray
    dtype_classes = {type(np.dtype(t)) for t in (
        np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
        np.uint32, np.uint64, np.float16, np.float32, np.float64,
        np.complex64, np.complex128)}
    return [multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype,
            *sorted(dtype_classes, key=lambda c: c.__name__)]


def _history_buffer_getattr(obj, name: str):
    """Stands in for ``builtins.getattr`` while unpickling.

    A pickled ``HistoryBuffer`` refers to its statistics methods as
    ``getattr(HistoryBuffer, 'mean')``. A general ``getattr`` would let a
    crafted pickle reach arbitrary attributes (module globals, ...), so only
    that one use is allowed.
    """
    from mmengine.logging import HistoryBuffer
    attr = vars(HistoryBuffer).get(name)
    if obj is HistoryBuffer and not name.startswith('_') \
            and inspect.isfunction(attr):
        return attr
    raise pickle.UnpicklingError(
        f'getattr({obj!r}, {name!r}) is not allowed in a checkpoint')


def safe_globals() -> List:
    """The data-only types that mmengine checkpoints contain besides
    tensors and builtins (``builtins.getattr`` mapped to a restricted
    stand-in, see :func:`_history_buffer_getattr`)."""
    from mmengine.logging import HistoryBuffer
    return [
        HistoryBuffer, bytes, (_history_buffer_getattr, 'builtins.getattr'),
        *_numpy_safe_globals()
    ]


def _unsafe_names(filename: str) -> str:
    try:
        names = torch.serialization.get_unsafe_globals_in_checkpoint(filename)
    except Exception:  # older torch or unreadable file
        return 'see the error above'
    allowed = {g[1] if isinstance(g, tuple) else
               f'{g.__module__}.{g.__qualname__}' for g in safe_globals()}
    names = [n for n in names if n not in allowed]
    return ', '.join(names) if names else 'see the error above'


def safe_torch_load(filename: str,
                    map_location=None,
                    trusted: Optional[bool] = None):
    """``torch.load`` of a local file with ``weights_only=True`` plus the
    mmengine allowlist, with errors that name the file.

    Args:
        filename (str): Path of the checkpoint.
        map_location: As for :func:`torch.load`.
        trusted (bool, optional): Load with full unpickling. Defaults to
            :func:`checkpoints_trusted`.

    Raises:
        FileNotFoundError: No such file.
        UntrustedCheckpointError: The pickle needs objects that are not on
            the allowlist and the file is not trusted.
        RuntimeError: The file is truncated or not a torch checkpoint.
    """
    filename = osp.expanduser(os.fspath(filename))
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename!r} does not exist')
    trusted = checkpoints_trusted() if trusted is None else trusted
    try:
        if trusted:
            return torch.load(
                filename, map_location=map_location, weights_only=False)
        with torch.serialization.safe_globals(safe_globals()):
            return torch.load(
                filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        raise UntrustedCheckpointError(
            f'refusing to load checkpoint {filename!r}: it references '
            'objects that could execute code when loaded '
            f'({_unsafe_names(filename)}). '
            'If you trust where this file comes from, pass '
            '--trust-checkpoint to the tool, call '
            'mmseginst.utils.checkpoint.trust_checkpoints(), or set '
            f'{TRUST_ENV}=1.') from exc
    except (RuntimeError, EOFError, zipfile.BadZipFile) as exc:
        raise RuntimeError(
            f'checkpoint {filename!r} is corrupt or truncated, or is not a '
            f'torch checkpoint: {exc}') from exc


def _load_from_local(filename: str, map_location=None):
    return safe_torch_load(filename, map_location=map_location)


def _load_from_http(filename: str,
                    map_location=None,
                    model_dir: Optional[str] = None,
                    progress: bool = False):
    """Download once to torch's hub cache (rank 0), then load it safely."""
    from urllib.parse import urlparse

    import torch.distributed as dist
    from mmengine.dist import get_dist_info
    rank, world_size = get_dist_info()
    model_dir = model_dir or osp.join(torch.hub.get_dir(), 'checkpoints')
    cached = osp.join(model_dir, osp.basename(urlparse(filename).path))
    if rank == 0 and not osp.isfile(cached):
        os.makedirs(model_dir, exist_ok=True)
        torch.hub.download_url_to_file(filename, cached, progress=progress)
    if world_size > 1 and dist.is_initialized():
        dist.barrier()
    return safe_torch_load(cached, map_location=map_location)


def install_safe_checkpoint_loader() -> None:
    """Make the safe loaders mmengine's loaders for local and http(s)
    checkpoint paths (``load_from``, ``--resume``, ``init_cfg``)."""
    CheckpointLoader.register_scheme(
        prefixes='', loader=_load_from_local, force=True)
    CheckpointLoader.register_scheme(
        prefixes=('http://', 'https://'), loader=_load_from_http, force=True)


install_safe_checkpoint_loader()
install_atomic_local_backend()
