"""EmbedMaskHead: FCOS + proposal embedding/margin, in-mask sampling,
proposal selection, prediction."""
import math

import pytest
import torch
from mmdet.structures.mask import BitmapMasks
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData

from mmseginst.models.dense_heads import EmbedMaskHead

STRIDES = [8, 16, 32, 64, 128]


def make_head(**kwargs):
    cfg = dict(
        num_classes=3,
        in_channels=16,
        feat_channels=16,
        stacked_convs=2,
        strides=STRIDES,
        norm_on_bbox=True,
        centerness_on_reg=True,
        center_sampling=True,
        conv_bias=True,
        norm_cfg=dict(type='GN', num_groups=8, requires_grad=True),
        loss_bbox=dict(type='GIoULoss', loss_weight=1.0),
        embed_dims=6,
        test_cfg=ConfigDict(
            nms_pre=50,
            min_bbox_size=0,
            score_thr=0.0,
            nms=dict(type='nms', iou_threshold=0.6),
            max_per_img=10))
    cfg.update(kwargs)
    torch.manual_seed(0)
    head = EmbedMaskHead(**cfg)
    head.init_weights()
    return head


def feats(size=64, batch=1):
    return [torch.rand(batch, 16, math.ceil(size / s), math.ceil(size / s))
            for s in STRIDES]


def gt(boxes, masks, labels=None, size=64):
    boxes = torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4)
    return InstanceData(
        bboxes=boxes,
        labels=torch.tensor(labels or [0] * len(boxes)),
        masks=BitmapMasks(masks.numpy().astype('uint8'), size, size))


def left_half(size=64, x_end=32):
    mask = torch.zeros(size, size)
    mask[:, :x_end] = 1
    return mask


@pytest.mark.parametrize('source,channels', [('feature', None), ('box', 1)])
def test_forward_shapes_and_margin_prior(source, channels):
    head = make_head(margin_source=source, margin_channels=channels)
    x = [torch.zeros_like(f) for f in feats()]
    cls, box, ctr, embeds, margins = head(x)
    dims = 6 if channels is None else 1
    for level, f in enumerate(x):
        assert embeds[level].shape == (1, 6, *f.shape[-2:])
        assert margins[level].shape == (1, dims, *f.shape[-2:])
    # zero features: margins = exp(bias), so p = 0.5 at distance 2
    sigma = margins[0][0, :, 0, 0]
    dist = torch.full((6, ), 2 / math.sqrt(6))  # |dist| = 2
    if dims == 1:
        p = math.exp(-sigma.item() * 4)
    else:
        p = math.exp(-(sigma * dist**2).sum().item())
    assert p == pytest.approx(0.5, abs=1e-6)


def test_bad_arguments():
    with pytest.raises(ValueError, match='margin_source'):
        make_head(margin_source='boxes')
    with pytest.raises(ValueError, match='proposal_sampling'):
        make_head(proposal_sampling='mean')
    with pytest.raises(ValueError, match='margin_channels'):
        make_head(margin_channels=3)


def test_loss_without_gt():
    head = make_head()
    empty = InstanceData(
        bboxes=torch.zeros(0, 4), labels=torch.zeros(0, dtype=torch.long),
        masks=BitmapMasks(torch.zeros(0, 64, 64).numpy(), 64, 64))
    outs = head(feats())
    losses = head.loss_by_feat(*outs, [empty], [dict(img_shape=(64, 64))])
    assert losses['loss_cls'].item() > 0
    assert losses['loss_bbox'].item() == 0
    assert losses['loss_centerness'].item() == 0
    infos = head.get_positive_infos()
    assert len(infos) == 1 and len(infos[0]) == 0


@pytest.mark.parametrize('sampling', ['max_iou', 'iou_thr'])
def test_loss_with_gt_and_positive_infos(sampling):
    head = make_head(proposal_sampling=sampling)
    masks = torch.stack([left_half(), left_half(x_end=20)])
    gts = gt([[2., 4., 40., 60.], [4., 8., 24., 30.]], masks, [0, 2])
    outs = head(feats())
    losses = head.loss_by_feat(*outs, [gts], [dict(img_shape=(64, 64))])
    assert all(torch.isfinite(v) for v in losses.values())
    assert losses['loss_bbox'].item() > 0
    info = head.get_positive_infos()[0]
    assert info.embeds.shape[1] == 6 and info.margins.shape[1] == 6
    assert set(info.gt_inds.tolist()) <= {0, 1}
    if sampling == 'max_iou':  # one proposal per instance
        assert sorted(info.gt_inds.tolist()) == sorted(
            set(info.gt_inds.tolist()))
    # gradients reach the embedding and margin convs
    (info.embeds.sum() + info.margins.sum()).backward()
    assert head.conv_embed.weight.grad is not None
    assert head.conv_margin.weight.grad is not None


def assigned(head, gts):
    """The ground-truth index of every location (-1: negative)."""
    points = head.prior_generator.grid_priors(
        [f.shape[-2:] for f in feats()], device='cpu')
    _, _, pos_inds, pos_gt_inds = head.get_targets(points, [gts])
    inds = torch.full((sum(len(p) for p in points), ), -1)
    inds[pos_inds[0]] = pos_gt_inds[0]
    return inds


def test_sample_in_mask():
    # B: the whole image, mask full; A: a smaller box whose mask is its left
    # half only. The location (36, 28) is inside both boxes, outside A's mask
    masks = torch.stack([torch.ones(64, 64), torch.zeros(64, 64)])
    masks[1, 16:48, 16:32] = 1
    gts = gt([[0., 0., 64., 64.], [16., 16., 48., 48.]], masks)
    p3 = 3 * 8 + 4  # flat index of (x=36, y=28) on the 8x8 P3 grid
    in_mask = assigned(make_head(center_sampling=False), gts)
    anywhere = assigned(
        make_head(center_sampling=False, sample_in_mask=False), gts)
    assert anywhere[p3].item() == 1  # the smaller box wins
    assert in_mask[p3].item() == 0  # not inside its mask: the larger one
    points = torch.arange(64)
    xs = (points % 8) * 8 + 4
    assert (xs[in_mask[:64] == 1] < 32).all()
    assert (xs[anywhere[:64] == 1] >= 32).any()


def test_sample_in_mask_needs_masks():
    gts = InstanceData(bboxes=torch.tensor([[0., 0., 30., 30.]]),
                       labels=torch.tensor([0]))
    head = make_head()
    with pytest.raises(ValueError, match='with_mask'):
        head.loss_by_feat(*head(feats()), [gts], [dict(img_shape=(64, 64))])


def test_select_proposals():
    ious = torch.tensor([0.3, 0.7, 0.6, 0.2, 0.2])
    gt_inds = torch.tensor([0, 0, 0, 1, 1])
    best = make_head()._select_proposals(ious, gt_inds, 3)
    assert best.tolist() == [False, True, False, True, False]
    above = make_head(proposal_sampling='iou_thr')._select_proposals(
        ious, gt_inds, 3)
    # GT 0: IoU > 0.5; GT 1: none above, so all its best (tied) ones
    assert above.tolist() == [False, True, True, True, True]


@pytest.mark.parametrize('channels', [None, 1])
def test_predict_keeps_embeddings(channels):
    head = make_head(margin_channels=channels)
    head.eval()
    with torch.no_grad():
        outs = head(feats(batch=2))
        results = head.predict_by_feat(
            *outs, batch_img_metas=[dict(img_shape=(64, 64))] * 2)
    for res in results:
        assert 0 < len(res) <= 10
        assert res.embeds.shape == (len(res), 6)
        assert res.margins.shape == (len(res), channels or 6)
        assert (res.margins > 0).all()
        assert res.points.shape == (len(res), 2)
        assert (res.bboxes[:, 2:] <= 64).all()


def test_assignment_equals_fcos_without_mask_condition():
    """With sample_in_mask=False the targets are mmdet FCOSHead's."""
    from mmdet.models.dense_heads import FCOSHead
    head = make_head(sample_in_mask=False)
    fcos = FCOSHead(
        num_classes=3, in_channels=16, feat_channels=16, stacked_convs=2,
        strides=STRIDES, norm_on_bbox=True, center_sampling=True,
        norm_cfg=dict(type='GN', num_groups=8))
    torch.manual_seed(1)
    boxes = torch.rand(6, 4) * 64
    boxes[:, 2:] = boxes[:, :2] + torch.rand(6, 2) * 60 + 2
    gts = gt(boxes.tolist(), torch.ones(6, 64, 64), [0, 1, 2, 0, 1, 2])
    points = head.prior_generator.grid_priors(
        [f.shape[-2:] for f in feats()], device='cpu')
    ours, theirs = head.get_targets(points, [gts]), fcos.get_targets(
        points, [gts])
    assert sum(int((lab < 3).sum()) for lab in ours[0]) > 5
    for mine, ref in zip(ours[0] + ours[1], theirs[0] + theirs[1]):
        torch.testing.assert_close(mine, ref)
    assert torch.equal(ours[2][0],
                       torch.nonzero(torch.cat(ours[0]) < 3).squeeze(1))
