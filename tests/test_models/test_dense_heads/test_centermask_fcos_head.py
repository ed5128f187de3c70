"""centermask2's FCOS inference: sqrt(cls * ctr) scores, candidates by class
probability, top-k by the product; training proposals in pixels."""
import math

import pytest
import torch
from mmdet.testing import demo_mm_inputs
from mmengine.config import ConfigDict

from mmseginst.models.dense_heads import CenterMaskFCOSHead


def logit(p):
    return math.log(p / (1 - p))


def make_head(**kwargs):
    head = CenterMaskFCOSHead(
        num_classes=2, in_channels=8, feat_channels=8, stacked_convs=1,
        strides=[8], regress_ranges=((-1, 1e8), ),
        norm_cfg=dict(type='GN', num_groups=4, requires_grad=True),
        conv_bias=True, center_sampling=True, norm_on_bbox=True,
        centerness_on_reg=True,
        loss_bbox=dict(type='GIoULoss', loss_weight=1.0), **kwargs)
    head.init_weights()
    return head


def test_scores_candidates_and_topk():
    head = make_head()
    cls = torch.full((1, 2, 2, 2), -20.0)
    ctr = torch.full((1, 1, 2, 2), -20.0)
    # location (0,0): class 0 p=0.9, ctr 0.1 -> product 0.09
    # location (0,1): class 1 p=0.3, ctr 0.9 -> product 0.27
    # location (1,1): class 0 p=0.04 (below the 0.05 threshold), ctr 0.99
    cls[0, 0, 0, 0], ctr[0, 0, 0, 0] = logit(0.9), logit(0.1)
    cls[0, 1, 0, 1], ctr[0, 0, 0, 1] = logit(0.3), logit(0.9)
    cls[0, 0, 1, 1], ctr[0, 0, 1, 1] = logit(0.04), logit(0.99)
    reg = torch.tensor([1., 2., 3., 4.]).view(1, 4, 1, 1).expand(1, 4, 2, 2)
    meta = dict(img_shape=(64, 64), scale_factor=(1.0, 1.0))
    cfg = ConfigDict(nms_pre=1, score_thr=0.05,
                     nms=dict(type='nms', iou_threshold=0.6), max_per_img=50)
    res = head.predict_by_feat([cls], [reg.clone()], [ctr],
                               batch_img_metas=[meta], cfg=cfg)[0]
    # nms_pre=1 keeps the best product (0.27), not the best class prob (0.9)
    assert res.labels.tolist() == [1]
    assert res.scores.tolist() == pytest.approx([math.sqrt(0.27)], rel=1e-5)
    # point (x, y) = (12, 4), distances (l, t, r, b) = (1, 2, 3, 4) pixels
    assert res.bboxes.tolist() == [pytest.approx([11., 2., 15., 8.])]
    cfg.nms_pre = 1000
    res = head.predict_by_feat([cls], [reg.clone()], [ctr],
                               batch_img_metas=[meta], cfg=cfg)[0]
    assert sorted(res.scores.tolist()) == pytest.approx(
        [math.sqrt(0.09), math.sqrt(0.27)], rel=1e-5)


@pytest.mark.parametrize('num_items', [[2], [0]])
def test_loss_and_training_proposals(num_items):
    torch.manual_seed(0)
    head = make_head()
    packed = demo_mm_inputs(1, [(3, 32, 32)], num_items=num_items,
                            num_classes=2)
    samples = packed['data_samples']
    x = (torch.randn(1, 8, 4, 4), )
    cfg = ConfigDict(nms_pre=1000, score_thr=0.0,
                     nms=dict(type='nms', iou_threshold=0.6), max_per_img=5)
    head.train()
    losses, proposals = head.loss_and_predict(x, samples, proposal_cfg=cfg)
    assert all(torch.isfinite(v) for v in losses.values())
    if not num_items[0]:
        assert losses['loss_bbox'].item() == 0
    # the training proposals equal test-mode decoding (stride-scaled boxes)
    head.eval()
    with torch.no_grad():
        expected = head.predict_by_feat(
            *head(x), batch_img_metas=[samples[0].metainfo], cfg=cfg)[0]
    assert len(proposals[0]) == 5 and not proposals[0].bboxes.requires_grad
    assert torch.allclose(proposals[0].bboxes, expected.bboxes)
    assert torch.allclose(proposals[0].scores, expected.scores)
