"""Small config helpers shared by the tools and the tests."""
from typing import Any, Iterator


def drop_pretrained(cfg: Any) -> None:
    """Remove, in place, every ``init_cfg`` of type ``Pretrained`` from a
    (model) config so that it builds with random weights and downloads
    nothing."""
    if isinstance(cfg, dict):
        init = cfg.get('init_cfg')
        if isinstance(init, dict) and init.get('type') == 'Pretrained':
            cfg['init_cfg'] = None
        elif isinstance(init, list):
            cfg['init_cfg'] = [
                i for i in init
                if not (isinstance(i, dict) and i.get('type') == 'Pretrained')
            ]
        if 'pretrained' in cfg and isinstance(cfg['pretrained'], str):
            cfg['pretrained'] = None
        for value in cfg.values():
            drop_pretrained(value)
    elif isinstance(cfg, (list, tuple)):
        for value in cfg:
            drop_pretrained(value)


def find_values(cfg: Any, key: str) -> Iterator[Any]:
    """Yield every value stored under ``key`` anywhere in a nested config."""
    if isinstance(cfg, dict):
        for k, v in cfg.items():
            if k == key:
                yield v
            yield from find_values(v, key)
    elif isinstance(cfg, (list, tuple)):
        for v in cfg:
            yield from find_values(v, key)
