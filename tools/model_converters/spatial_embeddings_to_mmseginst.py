"""Convert a SpatialEmbeddings checkpoint (davyneven/SpatialEmbeddings, e.g.
the released ``cars_pretrained_model.pth``) to mmseginst's
:class:`SpatialEmbeddings`.

    python tools/model_converters/spatial_embeddings_to_mmseginst.py \
        cars_pretrained_model.pth spatial-embeddings_erfnet_cars.pth \
        --config configs/spatial_embeddings/\
spatial-embeddings_erfnet_1xb16-crop1024-20e_cityscapes-car.py

The official training script saves ``{'epoch', 'best_iou',
'model_state_dict', 'optim_state_dict', 'logger_data'}`` with the model
wrapped in ``DataParallel`` (keys start with ``module.``). Key mapping,
written from the official module structure (``src/models/BranchedERFNet.py``
with ``src/models/erfnet.py``: ``encoder = Encoder(sum(num_classes))``,
``decoders = [Decoder(n) for n in num_classes]``):

=========================================  ================================
SpatialEmbeddings                          mmseginst
=========================================  ================================
module.encoder.initial_block.{conv,bn}     backbone.initial_block.{conv,bn}
module.encoder.layers.{i}.<block>          backbone.layers.{i}.<block>
module.encoder.output_conv                 (dropped: the encoder-only
                                           classifier, unused by
                                           BranchedERFNet.forward)
module.decoders.{j}.layers.{i}.<block>     mask_head.decoders.{j}.layers.{i}
                                           .<block>
module.decoders.{j}.output_conv            mask_head.decoders.{j}.output_conv
=========================================  ================================

``<block>`` names (``conv``, ``bn``, ``conv3x1_1``, ``conv1x3_1``, ``bn1``,
``conv3x1_2``, ``conv1x3_2``, ``bn2``) are kept: our ERFNet blocks use the
same structure. The layout (``n_sigma`` = output channels of decoder 0 minus
2, ``num_classes`` = those of decoder 1) is read from the weights and
checked by a ``strict=True`` load into the model of ``--config``.
"""
import re
from collections import OrderedDict
from typing import Dict, Tuple

import torch

from mmseginst.utils.checkpoint import safe_torch_load
from mmseginst.utils.converter import (converter_main, load_into_config,
                                      save_converted)

_ENCODER = re.compile(r'^encoder\.((?:initial_block|layers\.\d+)\..+)$')
_DECODER = re.compile(r'^decoders\.([01])\.((?:layers\.\d+|output_conv)\..+)$')
_DROPPED = re.compile(r'^encoder\.output_conv\.(weight|bias)$')


def convert_key(key: str):
    """Official key (without ``module.``) -> ours; None if dropped."""
    if _DROPPED.match(key):
        return None
    m = _ENCODER.match(key)
    if m:
        return f'backbone.{m.group(1)}'
    m = _DECODER.match(key)
    if m:
        return f'mask_head.decoders.{m.group(1)}.{m.group(2)}'
    raise KeyError(f'unknown SpatialEmbeddings key {key!r}')


def convert_state_dict(state: Dict[str, torch.Tensor]
                       ) -> Tuple[Dict[str, torch.Tensor], dict]:
    """Official state dict -> (ours, layout with ``n_sigma`` and
    ``num_classes``)."""
    out = OrderedDict()
    for key, value in state.items():
        key = key[len('module.'):] if key.startswith('module.') else key
        new = convert_key(key)
        if new is not None:
            out[new] = value
    for name in ('mask_head.decoders.0.output_conv.weight',
                 'mask_head.decoders.1.output_conv.weight'):
        if name not in out:
            raise KeyError(f'the checkpoint has no {name!r} (official '
                           f'decoders.{name[19]}.output_conv): not a '
                           'BranchedERFNet with two decoders')
    layout = dict(
        n_sigma=out['mask_head.decoders.0.output_conv.weight'].shape[1] - 2,
        num_classes=out['mask_head.decoders.1.output_conv.weight'].shape[1])
    return out, layout


def convert(src: str, dst: str, config: str = None,
            trusted: bool = False) -> dict:
    """Convert ``src`` to ``dst``; with ``config``, check a strict load into
    its model. Returns the layout read from the weights."""
    ckpt = safe_torch_load(src, map_location='cpu', trusted=trusted)
    state = ckpt.get('model_state_dict', ckpt)
    ours, layout = convert_state_dict(state)
    if config is not None:
        load_into_config(ours, config, src,
                         f'the checkpoint needs mask_head settings {layout}')
    meta = dict(converted_from=src, layout=layout)
    for k in ('epoch', 'best_iou'):
        if k in ckpt:
            meta[f'official_{k}'] = ckpt[k]
    save_converted(ours, dst, **meta)
    return layout


def main(argv=None):
    converter_main(convert, __doc__.splitlines()[0], argv=argv)


if __name__ == '__main__':
    main()
