from .atomic_io import AtomicLocalBackend, atomic_write_bytes
from .setup_env import install_safe_io, register_all_modules

__all__ = [
    'AtomicLocalBackend', 'atomic_write_bytes', 'install_safe_io',
    'register_all_modules'
]
