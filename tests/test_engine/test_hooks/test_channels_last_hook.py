from types import SimpleNamespace

import torch
from mmengine.model import MMDistributedDataParallel
from torch import nn

from mmseginst.engine import ChannelsLastHook


def _model():
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
        nn.Conv2d(8, 4, 1))


def test_weights_become_channels_last_and_outputs_do_not_change():
    model = _model().eval()
    x = torch.randn(2, 3, 9, 7)
    ref = model(x)
    params = [id(p) for p in model.parameters()]
    ChannelsLastHook().before_run(SimpleNamespace(model=model))
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            assert m.weight.is_contiguous(memory_format=torch.channels_last)
    # (a 1x1 kernel is both; the 3x3 one is not NCHW-contiguous any more)
    assert not model[0].weight.is_contiguous()
    # same Parameter objects (an optimizer built before keeps working)
    assert [id(p) for p in model.parameters()] == params
    out = model(x)  # NCHW input, channels-last weights
    assert out.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)


def test_state_dict_values_are_unchanged():
    model = _model()
    ref = {k: v.clone() for k, v in model.state_dict().items()}
    ChannelsLastHook().before_run(SimpleNamespace(model=model))
    fresh = _model()
    fresh.load_state_dict(model.state_dict())
    for k, v in fresh.state_dict().items():
        assert torch.equal(v, ref[k]), k


def test_unwraps_model_wrappers():
    model = _model()
    wrapper = MMDistributedDataParallel.__new__(MMDistributedDataParallel)
    nn.Module.__init__(wrapper)
    wrapper.module = model
    ChannelsLastHook().before_run(SimpleNamespace(model=wrapper))
    assert model[0].weight.is_contiguous(memory_format=torch.channels_last)
