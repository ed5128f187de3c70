"""Registration of every mmseginst (and mmdet) module and the default scope."""
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every module that registers something, mmdet's included.

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
