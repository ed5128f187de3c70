from .atomic_io import AtomicLocalBackend, atomic_write_bytes
from .setup_env import register_all_modules

__all__ = ['AtomicLocalBackend', 'atomic_write_bytes', 'register_all_modules']
