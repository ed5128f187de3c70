"""CenterNet's DLA-up / IDA-up neck."""
import pytest
import torch

from mmseginst.models.necks import DLAUpNeck
from mmseginst.models.necks.dla_up import _bilinear_deconv

CHANNELS = (4, 4, 8, 16, 16, 32)


def levels(h=32, w=64):
    torch.manual_seed(0)
    return [torch.randn(2, c, h // 2**i, w // 2**i)
            for i, c in enumerate(CHANNELS)]


@pytest.mark.parametrize('use_dcn', [True, False])
def test_output_stride_4(use_dcn):
    neck = DLAUpNeck(in_channels=CHANNELS, use_dcn=use_dcn)
    neck.init_weights()
    out = neck(levels())
    assert len(out) == 1 and out[0].shape == (2, 8, 8, 16)
    out[0].sum().backward()
    assert neck.dla_up[0].projs[0].conv.weight.grad is not None


def test_structure_follows_centernet():
    neck = DLAUpNeck(in_channels=(16, 32, 64, 128, 256, 512), use_dcn=False)
    # DLA-up: 256 <- 512; 128 <- (256, 256); 64 <- (128, 128, 128)
    assert [[p.conv.in_channels for p in s.projs] for s in neck.dla_up] == \
        [[512], [256, 256], [128, 128, 128]]
    assert [s.projs[0].conv.out_channels for s in neck.dla_up] == \
        [256, 128, 64]
    # IDA-up: 64 <- (128 x2, 256 x4)
    assert [p.conv.in_channels for p in neck.ida_up.projs] == [128, 256]
    assert [u.stride[0] for u in neck.ida_up.ups] == [2, 4]
    assert neck.out_channels == 64


def test_bilinear_deconv_init_upsamples():
    up = _bilinear_deconv(3, 2)
    x = torch.ones(1, 3, 4, 4)
    y = up(x)
    assert y.shape == (1, 3, 8, 8)
    # a constant stays constant away from the zero-padded border
    torch.testing.assert_close(y[..., 1:-1, 1:-1],
                               torch.ones(1, 3, 6, 6))
    ramp = torch.arange(4.).view(1, 1, 1, 4).expand(1, 3, 4, 4)
    row = up(ramp)[0, 0, 3, 1:-1]
    # linear interpolation between samples: steps of 0.5 per output pixel
    torch.testing.assert_close(row[1:] - row[:-1], torch.full((5, ), 0.5))


def test_bad_levels():
    with pytest.raises(ValueError, match='start_level'):
        DLAUpNeck(in_channels=CHANNELS, start_level=3, end_level=3)
    with pytest.raises(ValueError, match='all backbone levels'):
        DLAUpNeck(in_channels=CHANNELS, use_dcn=False)(levels()[:2])
