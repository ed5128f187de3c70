"""Reading result pickles (``tools/test.py --out``) without running code.

``pickle.load`` calls whatever the file names: a results file from someone
else can execute code. :func:`load_results_pickle` unpickles with an
allowlist of the data types that ``tools/test.py --out`` writes (through
mmdet's ``DumpDetResults`` and mmengine's pickle handler): builtins,
``OrderedDict``, numpy arrays, scalars and dtypes, and torch tensors. A
tensor's storage is pickled as a nested ``torch.save`` blob that torch
itself reads with full unpickling; here it is read with
``weights_only=True``.
"""
import io
import os
import pickle
from typing import Any, Callable, Dict, Tuple

import torch

from .checkpoint import _numpy_safe_globals


class UntrustedPickleError(pickle.UnpicklingError):
    """A pickle references objects outside the data-only allowlist."""


def _storage_from_bytes(data: bytes):
    """``torch.storage._load_from_bytes`` with ``weights_only=True``."""
    return torch.load(io.BytesIO(data), weights_only=True)


def _allowed_globals() -> Dict[Tuple[str, str], Callable]:
    import codecs
    import collections
    allowed = {
        ('collections', 'OrderedDict'): collections.OrderedDict,
        # protocol-2 pickles (mmengine's default) store bytes this way
        ('_codecs', 'encode'): codecs.encode,
        ('torch._utils', '_rebuild_tensor_v2'):
        torch._utils._rebuild_tensor_v2,
        ('torch.storage', '_load_from_bytes'): _storage_from_bytes,
    }
    for obj in _numpy_safe_globals():
        allowed[(obj.__module__, obj.__qualname__)] = obj
    # numpy 2 pickles name numpy._core, numpy 1 numpy.core: accept both
    for (module, name), obj in list(allowed.items()):
        if module.startswith('numpy._core'):
            allowed[(module.replace('numpy._core', 'numpy.core'), name)] = obj
        elif module.startswith('numpy.core'):
            allowed[(module.replace('numpy.core', 'numpy._core'), name)] = obj
    return allowed


class _DataUnpickler(pickle.Unpickler):

    def __init__(self, file, name: str):
        super().__init__(file)
        self._name = name
        self._allowed = _allowed_globals()

    def find_class(self, module: str, name: str) -> Any:
        obj = self._allowed.get((module, name))
        if obj is None:
            raise UntrustedPickleError(
                f'refusing to load {self._name!r}: it references '
                f'{module}.{name}, which is not one of the data types that '
                'tools/test.py --out writes (it could execute code when '
                'loaded)')
        return obj


def load_results_pickle(path: str) -> Any:
    """Unpickle ``path`` allowing only data types (see the module doc).

    Raises:
        FileNotFoundError: No such file.
        UntrustedPickleError: The pickle references anything else; the
            message names the file and the object.
        pickle.UnpicklingError: The file is truncated or not a pickle.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f'results file {path!r} does not exist')
    with open(path, 'rb') as f:
        try:
            return _DataUnpickler(f, path).load()
        except UntrustedPickleError:
            raise
        except (pickle.UnpicklingError, EOFError, ValueError) as exc:
            raise pickle.UnpicklingError(
                f'{path!r} is truncated or not a pickle: {exc}') from exc
