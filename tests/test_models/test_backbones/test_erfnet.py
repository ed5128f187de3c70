"""ERFNet encoder (the backbone)."""
import pytest
import torch

from mmseginst.models.backbones import ERFNet
from mmseginst.models.layers.erfnet_blocks import NonBottleneck1d


def test_encoder_layout_and_shapes():
    net = ERFNet(out_indices=(0, 1, 2)).eval()
    nb = [m for m in net.layers if isinstance(m, NonBottleneck1d)]
    assert [m.conv3x1_2.dilation[0] for m in nb] == [1] * 5 + [2, 4, 8, 16] * 2
    assert [m.dropout.p for m in nb] == [0.03] * 5 + [0.3] * 8
    assert all(m.eps == 1e-3 for m in net.modules()
               if isinstance(m, torch.nn.BatchNorm2d))
    outs = net(torch.randn(1, 3, 64, 96))
    assert [tuple(o.shape) for o in outs] == [(1, 16, 32, 48),
                                              (1, 64, 16, 24),
                                              (1, 128, 8, 12)]
    assert net.out_channels == [16, 64, 128]
    with pytest.raises(ValueError, match='multiples of 8'):
        net(torch.randn(1, 3, 60, 64))
    with pytest.raises(ValueError, match='out_indices'):
        ERFNet(out_indices=(3, ))
