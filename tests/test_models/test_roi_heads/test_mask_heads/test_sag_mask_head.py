"""SAG-Mask head: FCN mask head + SAM before the deconv."""
import torch
import torch.nn.functional as F
from mmdet.models.roi_heads.mask_heads import FCNMaskHead

from mmseginst.models.roi_heads import SAGMaskHead

ARGS = dict(num_convs=2, in_channels=8, conv_out_channels=8, num_classes=3)


def test_shapes_and_layers():
    head = SAGMaskHead(**ARGS)
    head.init_weights()
    out = head(torch.randn(5, 8, 14, 14))
    assert out.shape == (5, 3, 28, 28)
    assert head.sam.conv.weight.shape == (1, 2, 3, 3)
    assert all(not c.with_norm for c in head.convs)  # no norm, ReLU
    assert head.conv_logits.weight.std() < 0.005  # normal(0, 0.001) init
    assert head(torch.zeros(0, 8, 14, 14)).shape == (0, 3, 28, 28)


def test_forward_is_convs_sam_deconv_logits():
    torch.manual_seed(0)
    head = SAGMaskHead(**ARGS).eval()
    x = torch.randn(2, 8, 14, 14)
    y = x
    for conv in head.convs:
        y = F.relu(F.conv2d(y, conv.conv.weight, conv.conv.bias, padding=1))
    y = y * head.sam.attention(y)
    y = F.relu(F.conv_transpose2d(y, head.upsample.weight, head.upsample.bias,
                                  stride=2))
    y = F.conv2d(y, head.conv_logits.weight, head.conv_logits.bias)
    assert torch.allclose(head(x), y, atol=1e-6)


def test_without_sam_is_mask_rcnn_head():
    torch.manual_seed(0)
    ours = SAGMaskHead(with_sam=False, **ARGS)
    ref = FCNMaskHead(**ARGS)
    ref.load_state_dict(ours.state_dict(), strict=True)
    x = torch.randn(3, 8, 14, 14)
    assert torch.equal(ours(x), ref(x))


def test_loss_is_bce_on_the_gt_class():
    torch.manual_seed(0)
    head = SAGMaskHead(**ARGS)
    preds = head(torch.randn(4, 8, 14, 14))
    targets = (torch.rand(4, 28, 28) > 0.5).float()
    labels = torch.tensor([0, 2, 1, 2])
    loss = head.loss_mask(preds, targets, labels)
    expected = F.binary_cross_entropy_with_logits(
        preds[torch.arange(4), labels], targets)
    assert torch.allclose(loss, expected)
