"""Checkpoint loading that is safe under torch >= 2.6, and atomic saving.

torch >= 2.6 loads with ``weights_only=True``: only tensors and an allowlist
of plain types may be unpickled. mmengine's checkpoints also hold a few
data-only objects (``HistoryBuffer`` of the message hub, numpy arrays,
scalars and dtypes), so a plain ``torch.load`` refuses them and
``--resume``/``load_from`` break. Turning ``weights_only`` off for everyone
would let any downloaded checkpoint execute code on load.

This module instead offers loaders that keep ``weights_only=True`` and add
exactly those data-only types to the allowlist, one for every address
mmengine knows: local paths, ``http(s)://``, the model-zoo names
(``open-mmlab://``, ``openmmlab://``, ``mmcls://``, ``torchvision://``,
``modelzoo://``, which mmengine resolves to URLs or files and loads through
``torch.hub`` with full unpickling), ``pavi://`` and ``s3://``/``petrel://``.
A checkpoint whose pickle references anything else (for example
``os.system``) is refused with :class:`UntrustedCheckpointError`, unless the
user opts in explicitly for files they trust: ``--trust-checkpoint`` on the
tools, :func:`trust_checkpoints`, or ``MMSEGINST_TRUST_CHECKPOINTS=1``.

Importing this module changes nothing: :func:`install_safe_checkpoint_loader`
(called by :func:`mmseginst.utils.install_safe_io`, which
``register_all_modules()`` and the tools call) makes these loaders
mmengine's.
"""
import inspect
import io
import logging
import os
import os.path as osp
import pickle
import zipfile
from tempfile import TemporaryDirectory
from typing import IO, List, Optional, Union

import mmengine
import numpy as np
import torch
from mmengine.fileio import get_file_backend, load
from mmengine.logging import print_log
from mmengine.runner import checkpoint as mmengine_checkpoint
from mmengine.runner.checkpoint import CheckpointLoader

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


def _unsafe_names(source: Union[str, IO[bytes]]) -> str:
    try:
        if not isinstance(source, str):
            source.seek(0)
        names = torch.serialization.get_unsafe_globals_in_checkpoint(source)
    except Exception:  # older torch or unreadable file
        return 'see the error above'
    allowed = {g[1] if isinstance(g, tuple) else
               f'{g.__module__}.{g.__qualname__}' for g in safe_globals()}
    names = [n for n in names if n not in allowed]
    return ', '.join(names) if names else 'see the error above'


def _safe_load(source: Union[str, IO[bytes]], name: str, map_location,
               trusted: Optional[bool]):
    """Load ``source`` (a path or a binary file object) as
    :func:`safe_torch_load` does; ``name`` is what errors call it."""
    trusted = checkpoints_trusted() if trusted is None else trusted
    try:
        if trusted:
            return torch.load(
                source, map_location=map_location, weights_only=False)
        with torch.serialization.safe_globals(safe_globals()):
            return torch.load(
                source, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        raise UntrustedCheckpointError(
            f'refusing to load checkpoint {name!r}: it references objects '
            'that could execute code when loaded '
            f'({_unsafe_names(source)}). '
            'If you trust where this file comes from, pass '
            '--trust-checkpoint to the tool, call '
            'mmseginst.utils.checkpoint.trust_checkpoints(), or set '
            f'{TRUST_ENV}=1.') from exc
    except (RuntimeError, EOFError, zipfile.BadZipFile) as exc:
        raise RuntimeError(
            f'checkpoint {name!r} is corrupt or truncated, or is not a '
            f'torch checkpoint: {exc}') from exc


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
    return _safe_load(filename, filename, map_location, trusted)


def _load_from_local(filename: str, map_location=None):
    return safe_torch_load(filename, map_location=map_location)


def _load_from_http(filename: str,
                    map_location=None,
                    model_dir: Optional[str] = None,
                    progress: bool = False):
    """Download once to torch's hub cache (``$TORCH_HOME/hub/checkpoints``,
    named after the URL's last part, as ``torch.hub`` names it; rank 0
    downloads), then load the cached file safely."""
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


def _zoo_url(filename: str, urls: dict, table: str) -> str:
    name = filename.split('://', 1)[1]
    if name not in urls:
        raise KeyError(f'checkpoint {filename!r}: {name!r} is not a model '
                       f'name of {table}')
    return urls[name]


def _torchvision_urls() -> dict:
    """mmengine's table of torchvision weights; without torchvision, the
    names of torchvision < 0.13 that mmengine ships (its URLs are the same
    with any torchvision version)."""
    try:
        return mmengine_checkpoint.get_torchvision_models()
    except ImportError:
        return load(osp.join(mmengine.__path__[0], 'hub',
                             'torchvision_0.12.json'))


def _load_from_torchvision(filename: str, map_location=None):
    """``torchvision://NAME`` (``modelzoo://NAME``, its deprecated form)."""
    if filename.startswith('modelzoo://'):
        print_log('The URL scheme of "modelzoo://" is deprecated, please '
                  'use "torchvision://" instead', logger='current',
                  level=logging.WARNING)
    url = _zoo_url(filename, _torchvision_urls(), 'torchvision')
    return _load_from_http(url, map_location=map_location)


def _load_from_openmmlab(filename: str, map_location=None):
    """``open-mmlab://NAME`` / ``openmmlab://NAME``: a URL or a file under
    the mmengine home, from mmengine's tables (and the user's
    ``$MMENGINE_HOME/open_mmlab.json``)."""
    prefix, name = filename.split('://', 1)
    deprecated = mmengine_checkpoint.get_deprecated_model_names()
    if name in deprecated:
        print_log(f'{prefix}://{name} is deprecated in favor of '
                  f'{prefix}://{deprecated[name]}', logger='current',
                  level=logging.WARNING)
        filename = f'{prefix}://{deprecated[name]}'
    url = _zoo_url(filename, mmengine_checkpoint.get_external_models(),
                   'OpenMMLab (mmengine/hub/openmmlab.json)')
    if url.startswith(('http://', 'https://')):
        return _load_from_http(url, map_location=map_location)
    return safe_torch_load(
        osp.join(mmengine_checkpoint._get_mmengine_home(), url),
        map_location=map_location)


def _load_from_mmcls(filename: str, map_location=None):
    """``mmcls://NAME``: the backbone weights of an mmcls model."""
    url = _zoo_url(filename, mmengine_checkpoint.get_mmcls_models(),
                   'mmcls (mmengine/hub/mmcls.json)')
    checkpoint = _load_from_http(url, map_location=map_location)
    return mmengine_checkpoint._process_mmcls_checkpoint(checkpoint)


def _load_from_pavi(filename: str, map_location=None):
    """``pavi://PATH``: downloaded from the pavi model cloud."""
    try:
        from pavi import modelcloud
    except ImportError as exc:
        raise ImportError(f'checkpoint {filename!r}: install pavi to load '
                          'checkpoints from its model cloud') from exc
    model = modelcloud.get(filename[len('pavi://'):])
    with TemporaryDirectory() as tmp_dir:
        downloaded = osp.join(tmp_dir, model.name)
        model.download(downloaded)
        return _safe_load(downloaded, filename, map_location, None)


def _load_from_ceph(filename: str, map_location=None, backend='petrel'):
    """``s3://`` / ``petrel://`` paths, read through mmengine's backend."""
    file_backend = get_file_backend(
        filename, backend_args={'backend': backend})
    with io.BytesIO(file_backend.get(filename)) as buffer:
        return _safe_load(buffer, filename, map_location, None)


# Every address mmengine 0.10 registers, and the loader that replaces it.
SAFE_SCHEMES = (
    ('', _load_from_local),
    (('http://', 'https://'), _load_from_http),
    (('modelzoo://', 'torchvision://'), _load_from_torchvision),
    (('open-mmlab://', 'openmmlab://'), _load_from_openmmlab),
    ('mmcls://', _load_from_mmcls),
    ('pavi://', _load_from_pavi),
    ((r'(\S+\:)?s3://', r'(\S+\:)?petrel://'), _load_from_ceph),
)


def install_safe_checkpoint_loader() -> None:
    """Make the safe loaders mmengine's loaders for every checkpoint
    address (``load_from``, ``--resume``, ``init_cfg``, the tools)."""
    for prefixes, loader in SAFE_SCHEMES:
        CheckpointLoader.register_scheme(
            prefixes=prefixes, loader=loader, force=True)
