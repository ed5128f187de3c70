"""ScaledCoordinates: EmbedMask's spatial embedding channels."""
import torch

from mmseginst.models.layers import ScaledCoordinates


def test_adds_scaled_coordinates_to_two_channels():
    layer = ScaledCoordinates(coord_divisor=100.)
    layer.scale.data.fill_(2.0)
    embeds = torch.tensor([[1., 1., 1.], [0., 0., 5.]])
    points = torch.tensor([[10., 20.], [50., 0.]])
    out = layer(embeds, points)
    # 2 * (x, y) / 100 on channels 0 and 1, channel 2 unchanged
    torch.testing.assert_close(
        out, torch.tensor([[1.2, 1.4, 1.], [1.0, 0., 5.]]))


def test_scale_is_learned_and_keeps_its_checkpoint_key():
    layer = ScaledCoordinates()
    assert list(layer.state_dict()) == ['scale']
    assert layer.scale.item() == 1.0
    out = layer(torch.zeros(4, 3), torch.rand(4, 2) * 100)
    out.sum().backward()
    assert layer.scale.grad is not None and layer.scale.grad != 0
