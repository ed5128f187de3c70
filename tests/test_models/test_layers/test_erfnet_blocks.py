"""ERFNet's blocks: downsampler, non-bottleneck-1d, upsampler, decoder."""
import pytest
import torch

from mmseginst.models.layers.erfnet_blocks import (DownsamplerBlock,
                                                   ERFNetDecoder,
                                                   NonBottleneck1d,
                                                   UpsamplerBlock)


def test_downsampler_concatenates_conv_and_pool():
    block = DownsamplerBlock(3, 16).eval()
    x = torch.randn(1, 3, 8, 12)
    out = block(x)
    assert out.shape == (1, 16, 4, 6)
    # the last 3 channels are BN(maxpool(x)) followed by ReLU
    bn = block.bn
    pooled = torch.nn.functional.max_pool2d(x, 2)
    ref = (pooled - bn.running_mean[13:, None, None]) / torch.sqrt(
        bn.running_var[13:, None, None] + bn.eps)
    ref = torch.relu(ref * bn.weight[13:, None, None] +
                     bn.bias[13:, None, None])
    assert torch.allclose(out[:, 13:], ref, atol=1e-6)
    assert bn.eps == 1e-3
    with pytest.raises(ValueError, match='out_channels'):
        DownsamplerBlock(16, 16)


def test_non_bottleneck_1d_is_factorised_and_residual():
    block = NonBottleneck1d(4, dropout=0.3, dilation=4).eval()
    assert block.conv3x1_2.dilation == (4, 1)
    assert block.conv1x3_2.dilation == (1, 4)
    assert block.conv3x1_1.kernel_size == (3, 1)
    assert block.conv1x3_1.kernel_size == (1, 3)
    # zero residual branch -> relu(x)
    for conv in (block.conv3x1_1, block.conv1x3_1, block.conv3x1_2,
                 block.conv1x3_2):
        torch.nn.init.zeros_(conv.weight)
        torch.nn.init.zeros_(conv.bias)
    torch.nn.init.zeros_(block.bn2.bias)
    block.bn2.running_mean.zero_()
    x = torch.randn(2, 4, 10, 10)
    assert torch.allclose(block(x), torch.relu(x))
    assert NonBottleneck1d(4, 0.0, 1).dropout.__class__.__name__ == \
        'Identity'


def test_decoder_upsamples_by_8():
    dec = ERFNetDecoder(128, 5)
    out = dec(torch.randn(2, 128, 4, 6))
    assert out.shape == (2, 5, 32, 48)
    assert len(dec.layers) == 6  # up, 2 blocks, up, 2 blocks


def test_decoder_on_stride4_input():
    """in_stride=4: the first upsampler is a stride-1 conv + BN + ReLU, so
    the output has 4x the input size; the other layers are unchanged."""
    dec = ERFNetDecoder(32, 5, in_stride=4)
    x = torch.randn(2, 32, 4, 6)
    assert dec(x).shape == (2, 5, 16, 24)
    first = dec.layers[0]
    assert not isinstance(first, UpsamplerBlock)
    first.eval()
    want = torch.relu(first.bn(first.conv(x)))
    assert torch.allclose(first(x), want)
    assert want.shape == (2, 64, 4, 6)
    assert isinstance(dec.layers[3], UpsamplerBlock)
    for bad in (dict(in_stride=2), dict(channels=(64, 16, 8))):
        with pytest.raises(ValueError, match='in_stride'):
            ERFNetDecoder(32, 5, **bad)
