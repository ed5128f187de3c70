"""Pieces shared by the checkpoint converters in ``tools/model_converters``.

Every whole-model converter reads an official checkpoint with
:func:`safe_torch_load`, maps its keys, checks the result by a strict load
into the model of an mmseginst config and saves ``{'state_dict', 'meta'}``.
"""
import argparse
from typing import Callable, Dict, Optional

import torch
from mmengine.config import Config


def load_into_config(state_dict: Dict[str, torch.Tensor], config: str,
                     src: str, hint: str = '') -> torch.nn.Module:
    """Build the model of ``config`` (pretrained weights dropped) and load
    ``state_dict`` into it strictly.

    Args:
        state_dict: Converted weights.
        config: Path of the mmseginst config of the same model.
        src: The official checkpoint, named in the error.
        hint: Extra text for the error, e.g. the settings the weights need.

    Raises:
        RuntimeError: The weights do not fit the model; names ``src`` and
            ``config``.
    """
    from mmseginst.registry import MODELS
    from mmseginst.utils import register_all_modules
    from mmseginst.utils.misc import drop_pretrained
    register_all_modules()
    cfg = Config.fromfile(config)
    drop_pretrained(cfg.model)
    model = MODELS.build(cfg.model)
    try:
        model.load_state_dict(state_dict, strict=True)
    except RuntimeError as exc:
        extra = f'; {hint}' if hint else ''
        raise RuntimeError(
            f'{src} does not fit {config}{extra}:\n{exc}') from exc
    return model


def save_converted(state_dict: Dict[str, torch.Tensor], dst: str,
                   **meta) -> None:
    """Save converted weights as an mmengine checkpoint with ``meta``."""
    torch.save({'state_dict': state_dict, 'meta': meta}, dst)


def converter_main(convert: Callable, description: str,
                   config_required: bool = False,
                   argv: Optional[list] = None) -> None:
    """Command line of a whole-model converter:
    ``SRC DST [--config CFG] [--trust-checkpoint]``.

    ``convert(src, dst, config, trusted)`` does the work; what it returns
    (if anything) is printed after the output path.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('src', help='official checkpoint (.pth)')
    parser.add_argument('dst', help='output checkpoint')
    parser.add_argument(
        '--config', required=config_required,
        help='mmseginst config of the same model (checked by a strict load)')
    parser.add_argument(
        '--trust-checkpoint', action='store_true',
        help='allow full unpickling of src (only for files you trust)')
    args = parser.parse_args(argv)
    info = convert(args.src, args.dst, args.config, args.trust_checkpoint)
    checked = f' (strict load into {args.config} ok)' if args.config else ''
    extra = f'; {info}' if info is not None else ''
    print(f'{args.src} -> {args.dst}{checked}{extra}')
