"""The SpatialEmbeddings converter on a synthetic state dict with the
official key names and shapes (BranchedERFNet(num_classes=[3, 1]) wrapped
in DataParallel), written from the official module structure."""
import os.path as osp
import sys

import pytest
import torch

from conftest import REPO

sys.path.insert(0, osp.join(REPO, 'tools', 'model_converters'))
import spatial_embeddings_to_mmseginst as converter  # noqa: E402

CARS_CONFIG = osp.join(
    REPO, 'configs', 'spatial_embeddings',
    'spatial-embeddings_erfnet_1xb16-crop1024-20e_cityscapes-car.py')


def official_state_dict(num_classes=(3, 1)):
    gen = torch.Generator().manual_seed(0)
    sd = {}

    def t(name, *shape):
        sd[f'module.{name}'] = torch.randn(*shape, generator=gen)

    def bn(p, c):
        for k in ('weight', 'bias', 'running_mean'):
            t(f'{p}.{k}', c)
        sd[f'module.{p}.running_var'] = torch.rand(c, generator=gen) + 0.5
        sd[f'module.{p}.num_batches_tracked'] = torch.tensor(7)

    def down(p, cin, cout):  # conv (cout - cin) || maxpool, BN(cout)
        t(f'{p}.conv.weight', cout - cin, cin, 3, 3)
        t(f'{p}.conv.bias', cout - cin)
        bn(f'{p}.bn', cout)

    def non_bt(p, c):
        for name, k in (('conv3x1_1', (3, 1)), ('conv1x3_1', (1, 3)),
                        ('conv3x1_2', (3, 1)), ('conv1x3_2', (1, 3))):
            t(f'{p}.{name}.weight', c, c, *k)
            t(f'{p}.{name}.bias', c)
        bn(f'{p}.bn1', c)
        bn(f'{p}.bn2', c)

    def up(p, cin, cout):  # ConvTranspose2d weight: (in, out, k, k)
        t(f'{p}.conv.weight', cin, cout, 3, 3)
        t(f'{p}.conv.bias', cout)
        bn(f'{p}.bn', cout)

    down('encoder.initial_block', 3, 16)
    down('encoder.layers.0', 16, 64)
    for i in range(1, 6):
        non_bt(f'encoder.layers.{i}', 64)
    down('encoder.layers.6', 64, 128)
    for i in range(7, 15):
        non_bt(f'encoder.layers.{i}', 128)
    t('encoder.output_conv.weight', sum(num_classes), 128, 1, 1)
    t('encoder.output_conv.bias', sum(num_classes))
    for j, n in enumerate(num_classes):
        p = f'decoders.{j}'
        up(f'{p}.layers.0', 128, 64)
        non_bt(f'{p}.layers.1', 64)
        non_bt(f'{p}.layers.2', 64)
        up(f'{p}.layers.3', 64, 16)
        non_bt(f'{p}.layers.4', 16)
        non_bt(f'{p}.layers.5', 16)
        t(f'{p}.output_conv.weight', 16, n, 2, 2)
        t(f'{p}.output_conv.bias', n)
    return sd


def test_converts_and_loads_strictly(tmp_path, monkeypatch, capsys):
    from mmseginst.utils.checkpoint import safe_torch_load
    sd = official_state_dict()
    src, dst = tmp_path / 'cars.pth', tmp_path / 'ours.pth'
    torch.save({'epoch': 199, 'best_iou': 0.8, 'model_state_dict': sd,
                'optim_state_dict': {}, 'logger_data': {'iou': [0.5]}},
               src)
    monkeypatch.setattr(sys, 'argv', [
        'spatial_embeddings_to_mmseginst.py', str(src), str(dst),
        '--config', CARS_CONFIG])
    converter.main()  # the command line, in-process
    assert "'n_sigma': 1, 'num_classes': 1" in capsys.readouterr().out
    ours = safe_torch_load(str(dst))['state_dict']
    assert len(ours) == len(sd) - 2  # encoder.output_conv dropped
    assert torch.equal(
        ours['mask_head.decoders.1.output_conv.bias'],
        sd['module.decoders.1.output_conv.bias'])
    assert torch.equal(ours['backbone.layers.14.conv1x3_2.weight'],
                       sd['module.encoder.layers.14.conv1x3_2.weight'])


def test_layout_mismatch_and_unknown_keys(tmp_path):
    convert, convert_state_dict = (converter.convert,
                                   converter.convert_state_dict)
    _, layout = convert_state_dict(official_state_dict((4, 8)))
    assert layout == dict(n_sigma=2, num_classes=8)
    src = tmp_path / 'ellipse.pth'
    torch.save({'model_state_dict': official_state_dict((4, 8))}, src)
    with pytest.raises(RuntimeError, match="'n_sigma': 2"):
        convert(str(src), str(tmp_path / 'x.pth'), CARS_CONFIG)
    with pytest.raises(KeyError, match='unknown SpatialEmbeddings key'):
        convert_state_dict({'module.encoder.extra.weight': torch.zeros(1)})
