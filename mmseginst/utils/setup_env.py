"""Registration of every mmseginst (and mmdet) module, the default scope,
and the safe checkpoint input/output the tools rely on."""
import datetime
import warnings

from mmengine import DefaultScope


def install_safe_io() -> None:
    """Make mmengine load checkpoints without running code and write local
    files atomically, for the rest of this process.

    Installs :func:`~.checkpoint.install_safe_checkpoint_loader` (every
    checkpoint address goes through the ``weights_only`` loader) and
    :func:`~.atomic_io.install_atomic_local_backend` (checkpoints and
    ``last_checkpoint`` are written through a temporary file and a rename).
    Importing :mod:`mmseginst` does neither; :func:`register_all_modules`
    and the tools call this. Calling it again is harmless.
    """
    from .atomic_io import install_atomic_local_backend
    from .checkpoint import install_safe_checkpoint_loader
    install_safe_checkpoint_loader()
    install_atomic_local_backend()


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every module that registers something, mmdet's included, and
    install the safe checkpoint input/output (:func:`install_safe_io`).

    Args:
        init_default_scope (bool): Also make ``'mmseginst'`` the current
            default scope, so registries resolve our components first and
            fall back to mmdet's. Defaults to True.
    """
    from mmdet.utils import register_all_modules as register_mmdet
    register_mmdet(init_default_scope=False)

    import mmseginst.datasets  # noqa: F401
    import mmseginst.engine  # noqa: F401
    import mmseginst.evaluation  # noqa: F401
    import mmseginst.models  # noqa: F401
    import mmseginst.visualization  # noqa: F401
    install_safe_io()

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None or not DefaultScope.check_instance_created('mmseginst'):
        DefaultScope.get_instance('mmseginst', scope_name='mmseginst')
        return
    if current.scope_name != 'mmseginst':
        warnings.warn(f'The current default scope "{current.scope_name}" is '
                      'not "mmseginst"; register_all_modules switches it. '
                      'Pass init_default_scope=False to keep it.')
        DefaultScope.get_instance(
            f'mmseginst-{datetime.datetime.now()}', scope_name='mmseginst')
