"""VoVNet V1/V2: shapes, parameter counts, eSE and OSA math, depthwise and
DCN variants, freezing."""
import pytest
import torch
import torch.nn.functional as F
from mmcv.ops import ModulatedDeformConv2dPack

from mmseginst.models.backbones.vovnet import OSAModule, VoVNet

# parameters of our backbones (no classifier). V-19 was counted by hand from
# the official structure: stem 112,832 + stages 640,512 + 1,470,912 +
# 2,977,152 + 4,979,008 = 10,180,416.
PARAMS = {
    '19-slim-dw': 1_384_752, '19-dw': 5_518_080, '19-slim': 2_653_136,
    '19': 10_180_416, '39': 25_184_128, '57': 41_454_912, '99': 69_523_520
}
# centermask2 / vovnet-detectron2 READMEs ("Params. = backbone"). They match
# our count plus an ImageNet classifier (FC C5 -> 1000), truncated to 0.1M.
README = {'19': 11.2, '19-dw': 6.5, '19-slim': 3.1, '19-slim-dw': 1.8}


def n_params(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize('arch', sorted(PARAMS))
def test_param_counts_and_shapes(arch):
    model = VoVNet(arch).eval()
    count = n_params(model)
    assert count == PARAMS[arch]
    out_ch = VoVNet.arch_settings[arch]['out']
    if arch in README:
        with_classifier = count + out_ch[-1] * 1000 + 1000
        assert int(with_classifier / 1e5) / 10 == README[arch]
    if arch in ('19-slim-dw', '39'):  # forward is slow for the big ones
        with torch.no_grad():
            outs = model(torch.rand(1, 3, 70, 90))
        # stem: 70x90 -> 35x45 -> 18x23; then 3x3/2 ceil-mode max-pools,
        # n -> ceil((n - 3) / 2) + 1: 9x11, 4x5, 2x2
        assert [tuple(o.shape) for o in outs] == [
            (1, out_ch[0], 18, 23), (1, out_ch[1], 9, 11),
            (1, out_ch[2], 4, 5), (1, out_ch[3], 2, 2)]


def test_v1_has_no_ese_nor_identity():
    v1 = VoVNet('39', with_ese=False, with_identity=False)
    blocks = [b for s in v1.stages for b in s.blocks]
    assert all(b.ese is None and not b.identity for b in blocks)
    v2 = VoVNet('39')
    # identity from the 2nd OSA module of a stage: stages 4, 5 have two
    assert [b.identity for s in v2.stages
            for b in s.blocks] == [False, False, False, True, False, True]


def test_ese_math():
    """eSE: x * hard_sigmoid(W avgpool(x) + b), one CxC conv, no reduction."""
    block = OSAModule(2, 2, 2, 1)
    ese = block.ese
    assert ese.fc.weight.shape == (2, 2, 1, 1)
    with torch.no_grad():
        ese.fc.weight.copy_(torch.tensor([[1., 0.], [1., -1.]]).view(2, 2, 1,
                                                                    1))
        ese.fc.bias.copy_(torch.tensor([0., 1.]))
    x = torch.tensor([[[[1., 3.]], [[-2., 0.]]]])  # means 2 and -1
    # z = (2, 2 + 1 + 1) = (2, 4); hard sigmoid relu6(z + 3) / 6
    gate = torch.tensor([5 / 6, 1.0])
    assert torch.allclose(ese(x), x * gate.view(1, 2, 1, 1))


@pytest.mark.parametrize('identity', [False, True])
def test_osa_aggregation_and_identity(identity):
    """With a zero aggregation conv the module outputs x (identity) or 0."""
    block = OSAModule(4, 3, 4, 2, identity=identity).eval()
    assert block.concat_conv.conv.in_channels == 4 + 2 * 3
    torch.nn.init.zeros_(block.concat_conv.conv.weight)
    x = torch.randn(1, 4, 5, 5)
    expected = x if identity else torch.zeros_like(x)
    assert torch.allclose(block(x), expected)


def test_depthwise_modules():
    model = VoVNet('19-slim-dw')
    block = model.stages[1].blocks[0]  # 112 -> mid 80: reduction first
    assert block.reduction.conv.in_channels == 112
    dw = block.layers[0].depthwise_conv.conv
    assert dw.groups == dw.in_channels == 80 and dw.bias is None
    assert not block.layers[0].depthwise_conv.with_norm
    assert model.stages[0].blocks[0].reduction is None  # 64 -> 64
    assert model.stem[1].depthwise_conv.conv.stride == (1, 1)
    assert model.stem[2].depthwise_conv.conv.stride == (2, 2)


def test_dcn_stages_and_init():
    model = VoVNet('19-slim', dcn=dict(type='DCNv2', deform_groups=1),
                   stage_with_dcn=(False, True, True, True)).eval()
    kinds = [type(s.blocks[0].layers[0].conv) for s in model.stages]
    assert kinds[0] is torch.nn.Conv2d
    assert all(k is ModulatedDeformConv2dPack for k in kinds[1:])
    # zero offsets and mask logits at init: DCNv2 = 0.5 * the plain conv
    dcn = model.stages[1].blocks[0].layers[0].conv
    x = torch.randn(1, dcn.in_channels, 6, 6, requires_grad=True)
    y = dcn(x)
    assert torch.allclose(y, 0.5 * F.conv2d(x, dcn.weight, padding=1),
                          atol=1e-5)
    y.sum().backward()
    assert x.grad is not None
    with torch.no_grad():
        outs = model(torch.rand(1, 3, 64, 64))
    assert outs[3].shape == (1, 512, 2, 2)


def test_frozen_stages_and_norm_eval():
    model = VoVNet('19-slim', frozen_stages=1, norm_eval=True,
                   norm_cfg=dict(type='BN', requires_grad=False))
    model.train()
    assert not any(p.requires_grad for p in model.stem.parameters())
    assert not any(p.requires_grad for p in model.stages[0].parameters())
    assert model.stages[1].blocks[0].layers[0].conv.weight.requires_grad
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert bns and not any(m.training for m in bns)
    assert not any(m.weight.requires_grad for m in bns)


def test_bad_arguments():
    with pytest.raises(KeyError, match="arch='42'"):
        VoVNet('42')
    with pytest.raises(ValueError, match='out_indices'):
        VoVNet('19', out_indices=(4, ))
    with pytest.raises(ValueError, match='dcn is None'):
        VoVNet('19', stage_with_dcn=(False, True, True, True))
