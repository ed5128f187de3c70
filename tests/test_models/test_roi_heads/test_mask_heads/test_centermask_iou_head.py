"""MaskIoU head: targets against the plain definition, on bitmap and polygon
GT masks; 0.5 * delta^2 loss over targets > 0; mask_scores."""
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmdet.structures.mask import BitmapMasks, PolygonMasks
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData

from mmseginst.models.roi_heads import CenterMaskIoUHead
from mmseginst.models.roi_heads.mask_heads.centermask_iou_head import \
    mask_iou_targets

CFG = ConfigDict(mask_thr_binary=0.5)


def plain_target(logits, gt_in_roi, gt_full, box):
    """IoU of (sigmoid(logits) > 0.5) with the GT; the union counts the whole
    GT, i.e. the GT pixels in the RoI divided by the share of the GT's area
    that lies inside the RoI box."""
    x1, y1, x2, y2 = box
    ratio = gt_full[y1:y2, x1:x2].sum() / gt_full.sum()
    pred = logits > 0
    inter = (pred & gt_in_roi).sum().item()
    union = pred.sum().item() + gt_in_roi.sum().item() / ratio - inter
    return inter / max(union, 1.0)


def gt_masks(kind):
    """An 8x8 square at x in [2, 10), y in [4, 12) of a 20x20 image."""
    if kind == 'bitmap':
        m = np.zeros((1, 20, 20), np.uint8)
        m[0, 4:12, 2:10] = 1
        return BitmapMasks(m, 20, 20)
    return PolygonMasks([[np.array([2., 4., 10., 4., 10., 12., 2., 12.])]],
                        20, 20)


@pytest.mark.parametrize('kind', ['bitmap', 'polygon'])
def test_hand_checked_targets(kind):
    head = CenterMaskIoUHead(num_classes=2, in_channels=4,
                             conv_out_channels=4, fc_out_channels=8)
    # RoI A is the GT box; RoI B its left half; RoI C its left half too
    boxes = torch.tensor([[2., 4., 10., 12.], [2., 4., 6., 12.],
                          [2., 4., 6., 12.]])
    sampling = [SimpleNamespace(pos_priors=boxes,
                                pos_assigned_gt_inds=torch.zeros(3).long())]
    gts = [InstanceData(masks=gt_masks(kind))]
    targets = torch.ones(3, 28, 28)  # the GT fills all three RoIs
    logits = -torch.ones(3, 28, 28)
    logits[0, :, :14] = 1  # A: left half predicted -> 392 / 784
    logits[1] = 1  # B: all predicted, GT is twice the RoI -> 784 / 1568
    # C: nothing predicted -> target 0, no loss
    iou = head.get_targets(sampling, gts, logits, targets, CFG)
    assert torch.allclose(iou, torch.tensor([0.5, 0.5, 0.0]))
    # the loss: 0.5 * delta^2 averaged over the two targets > 0
    pred = torch.tensor([0.7, 0.2, 0.9])
    loss = head.loss_and_target(pred, logits, targets, sampling, gts,
                                CFG)['loss_mask_iou']
    assert loss.item() == pytest.approx(0.5 * (0.2**2 + 0.3**2) / 2)


def test_random_targets_match_definition():
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    logits, gts_in, ratios, expected = [], [], [], []
    for _ in range(20):
        full = rng.random((30, 30)) > 0.6
        full[5, 5] = True
        x1, y1 = rng.integers(0, 10, 2)
        x2, y2 = x1 + rng.integers(5, 20), y1 + rng.integers(5, 20)
        gt_in = torch.from_numpy(rng.random((28, 28)) > 0.5)
        lg = torch.randn(28, 28)
        expected.append(plain_target(lg, gt_in, full, (x1, y1, x2, y2)))
        logits.append(lg)
        gts_in.append(gt_in.float())
        ratios.append(full[y1:y2, x1:x2].sum() / full.sum())
    iou = mask_iou_targets(torch.stack(logits), torch.stack(gts_in),
                           torch.tensor(ratios, dtype=torch.float))
    assert torch.allclose(iou, torch.tensor(expected, dtype=torch.float),
                          atol=1e-5)


def test_no_positive_roi():
    head = CenterMaskIoUHead(num_classes=2, in_channels=4,
                             conv_out_channels=4, fc_out_channels=8)
    sampling = [SimpleNamespace(pos_priors=torch.zeros(0, 4),
                                pos_assigned_gt_inds=torch.zeros(0).long())]
    gts = [InstanceData(masks=gt_masks('bitmap')[[]])]
    pred = head(torch.randn(0, 4, 14, 14), torch.randn(0, 28, 28))
    assert pred.shape == (0, 2)
    loss = head.loss_and_target(pred[:, 0], torch.zeros(0, 28, 28),
                                torch.zeros(0, 28, 28), sampling, gts, CFG)
    assert loss['loss_mask_iou'].item() == 0


def test_forward_and_mask_scores():
    head = CenterMaskIoUHead(num_convs=2, num_classes=2, in_channels=4,
                             conv_out_channels=4, fc_out_channels=8)
    head.init_weights()
    assert head(torch.randn(3, 4, 14, 14),
                torch.randn(3, 28, 28)).shape == (3, 2)
    res = InstanceData(scores=torch.tensor([0.9, 0.5]),
                       labels=torch.tensor([1, 0]))
    out = head.predict_by_feat([torch.tensor([[0.1, 0.8], [0.6, 0.2]])],
                               [res])[0]
    assert torch.allclose(out.mask_scores, torch.tensor([0.72, 0.3]))
    assert torch.equal(out.scores, torch.tensor([0.9, 0.5]))  # boxes keep
