import pytest
import torch
from torch import nn

from mmseginst.engine import CPUAutocastOptimWrapper


def _model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(),
                         nn.Flatten(), nn.Linear(4 * 5 * 5, 2))


def _wrapper(model, **kwargs):
    return CPUAutocastOptimWrapper(
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1), **kwargs)


def test_forward_runs_in_bfloat16_and_parameters_stay_float32():
    model = _model()
    wrapper = _wrapper(model)
    x = torch.randn(2, 3, 5, 5)
    with wrapper.optim_context(model):
        out = model(x)
    assert out.dtype == torch.bfloat16
    assert all(p.dtype == torch.float32 for p in model.parameters())
    # outside the context the model is plain float32 again
    assert model(x).dtype == torch.float32


def test_gradients_are_those_of_the_bfloat16_rounded_operands():
    """One linear layer: autocast computes y = bf16(x) bf16(W)^T + bf16(b);
    its weight gradient, written out, is dL/dy^T bf16(x), cast to float32."""
    torch.manual_seed(1)
    lin = nn.Linear(8, 3)
    x = torch.randn(5, 8)
    target = torch.randn(5, 3)
    wrapper = _wrapper(lin)
    with wrapper.optim_context(lin):
        y = lin(x)
    loss = ((y.float() - target)**2).sum()
    loss.backward()

    xb = x.bfloat16().float()
    wb = lin.weight.detach().bfloat16().float()
    bb = lin.bias.detach().bfloat16().float()
    y_ref = (xb @ wb.t() + bb).bfloat16().float()
    assert torch.equal(y.float(), y_ref)
    grad_y = 2 * (y_ref - target)
    grad_w_ref = grad_y.bfloat16().float().t() @ xb
    assert lin.weight.grad.dtype == torch.float32
    torch.testing.assert_close(lin.weight.grad, grad_w_ref, rtol=2e-2,
                               atol=2e-2)
    # and the float32 gradient differs from it only by the rounding
    lin32 = nn.Linear(8, 3)
    lin32.load_state_dict(lin.state_dict())
    ((lin32(x) - target)**2).sum().backward()
    torch.testing.assert_close(lin.weight.grad, lin32.weight.grad,
                               rtol=5e-2, atol=5e-2)


def test_update_params_steps_the_float32_parameters():
    model = _model()
    wrapper = _wrapper(model)
    before = [p.detach().clone() for p in model.parameters()]
    with wrapper.optim_context(model):
        loss = model(torch.randn(2, 3, 5, 5)).float().pow(2).mean()
    wrapper.update_params(loss)
    after = list(model.parameters())
    assert all(a.dtype == torch.float32 for a in after)
    assert all(not torch.equal(b, a) for b, a in zip(before, after))


def test_disabled_is_float32():
    model = _model()
    wrapper = _wrapper(model, enabled=False)
    with wrapper.optim_context(model):
        assert model(torch.randn(1, 3, 5, 5)).dtype == torch.float32


def test_bad_dtype_names_the_value():
    with pytest.raises(ValueError, match="dtype='float64'"):
        _wrapper(_model(), dtype='float64')


def test_op_without_bfloat16_kernel_gets_a_clear_error():
    from mmcv.ops import nms
    model = _model()
    wrapper = _wrapper(model)
    boxes = torch.tensor([[0., 0., 4., 4.], [1., 1., 5., 5.]])
    with pytest.raises(RuntimeError, match='no CPU kernel.*nms'):
        with wrapper.optim_context(model):
            nms(nn.functional.linear(boxes, torch.eye(4)), torch.ones(2),
                0.5)
    # other errors pass through unchanged
    with pytest.raises(RuntimeError, match='plain'):
        with wrapper.optim_context(model):
            raise RuntimeError('plain')


def test_warns_where_the_cpu_has_no_bfloat16_units(monkeypatch):
    from mmseginst.engine.optimizers import cpu_autocast_optim_wrapper as m
    logged = []
    monkeypatch.setattr(m, '_has_cpu_kernels', lambda dtype: False)
    monkeypatch.setattr(m, 'print_log', lambda msg, **kw: logged.append(msg))
    _wrapper(_model())
    assert logged and 'enabled=False' in logged[0]
    logged.clear()
    _wrapper(_model(), enabled=False)
    assert not logged
