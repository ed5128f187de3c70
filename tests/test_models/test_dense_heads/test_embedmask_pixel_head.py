"""EmbedMaskPixelHead: pixel embeddings, the mask loss against a plain
computation, and prediction plumbing."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmdet.structures.mask import BitmapMasks
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData

from mmseginst.models.dense_heads import EmbedMaskPixelHead
from mmseginst.models.losses import lovasz_hinge


def make_head(**kwargs):
    cfg = dict(
        in_channels=8,
        feat_channels=8,
        stacked_convs=2,
        embed_dims=4,
        norm_cfg=dict(type='GN', num_groups=4, requires_grad=True),
        test_cfg=ConfigDict(mask_thr=0.53, mask_box_padding=2))
    cfg.update(kwargs)
    torch.manual_seed(0)
    head = EmbedMaskPixelHead(**cfg)
    head.init_weights()
    return head


def test_forward_shape_and_coordinates():
    head = make_head()
    torch.nn.init.zeros_(head.conv_embed.weight)
    torch.nn.init.zeros_(head.conv_embed.bias)
    head.position_scale.scale.data.fill_(2.0)
    (embeds, ) = head([torch.rand(2, 8, 6, 5)])
    assert embeds.shape == (2, 4, 12, 10)  # stride 8 -> stride 4
    # the x2 upsampled coordinate ramp: stride-4 pixel centres (j + 0.5) * 4
    inner = torch.arange(1, 9) + 0.5
    torch.testing.assert_close(embeds[0, 0, 5, 1:9], 2 * inner * 4 / 100)
    torch.testing.assert_close(embeds[1, 1, 1:11, 4], 2 * (torch.arange(
        1, 11) + 0.5) * 4 / 100)
    assert embeds[:, 2:].abs().max() == 0
    # v1: no spatial channels, no scale
    v1 = make_head(num_spatial_dims=0)
    assert not hasattr(v1, 'position_scale')
    torch.testing.assert_close(
        v1.add_coordinates(torch.ones(3, 4), torch.rand(3, 2)),
        torch.ones(3, 4))


def plain_mask_loss(head, pixel_embeds, gts, infos, weight, padding):
    """Per image, per GT with proposals: mean (embedding + coordinates) and
    mean margin -> p = exp(-sum sigma (x - e)^2) on the stride-4 grid,
    clamp, logit, Lovasz over the chosen pixels. The official averaging
    (yinghdb/EmbedMask embed_mask/loss.py): ``mask_loss +=
    mask_loss_per_target.mean()`` over the GTs of an image that have
    proposals, then ``mask_loss / N`` over the N images of the batch."""
    num_imgs, dims, h, w = pixel_embeds.shape
    total = 0.0
    for img in range(num_imgs):
        gt, info = gts[img], infos[img]
        with_proposals = sorted(set(info.gt_inds.tolist()))
        if len(gt) == 0 or not with_proposals:
            continue
        masks = torch.from_numpy(gt.masks.masks).float()
        masks = F.pad(masks, (0, w * 4 - masks.shape[-1], 0,
                              h * 4 - masks.shape[-2]))
        small = F.interpolate(masks[None], (h, w), mode='bilinear')[0] > 0
        for g in range(len(gt)):
            rows = [i for i in range(len(info)) if info.gt_inds[i] == g]
            if not rows:
                continue
            e = sum(info.embeds[i] + torch.cat([
                head.position_scale.scale * info.points[i] / 100,
                torch.zeros(dims - 2)
            ]) for i in rows) / len(rows)
            sigma = sum(info.margins[i] for i in rows) / len(rows)
            diff = pixel_embeds[img] - e[:, None, None]
            p = torch.exp(-(sigma[:, None, None] * diff**2).sum(0))
            p = p.clamp(1e-9, 1 - 1e-9)
            logits = torch.log(p) - torch.log(1 - p)
            valid = torch.ones(h, w, dtype=torch.bool)
            if padding is not None:
                x1, y1, x2, y2 = (gt.bboxes[g] / 4).tolist()
                px, py = (x2 - x1) * padding + 1, (y2 - y1) * padding + 1
                cols = torch.arange(w).float()
                rows_ = torch.arange(h).float()
                valid = ((rows_ >= max(y1 - py, 0)) &
                         (rows_ < min(y2 + py, h - 1)))[:, None] & \
                    ((cols >= max(x1 - px, 0)) &
                     (cols < min(x2 + px, w - 1)))[None]
            loss = lovasz_hinge(logits[valid][None],
                                small[g][valid][None].float())
            total += loss.item() / len(with_proposals) / num_imgs
    return weight * total


def instances(boxes, masks):
    return InstanceData(
        bboxes=torch.tensor(boxes),
        labels=torch.zeros(len(boxes), dtype=torch.long),
        masks=BitmapMasks(masks, 30, 31))


def loss_inputs(dims):
    torch.manual_seed(3)
    masks = torch.zeros(3, 30, 31, dtype=torch.uint8)
    masks[0, 2:20, 3:15] = 1
    masks[1, 10:28, 12:30] = 1
    masks[2, 0:9, 20:31] = 1
    gts = [
        instances([[3., 2., 15., 20.], [12., 10., 30., 28.],
                   [20., 0., 31., 9.]], masks.numpy()),
        instances([[0., 0., 8., 8.]], masks[:1].numpy()),
        InstanceData(bboxes=torch.zeros(0, 4),
                     labels=torch.zeros(0, dtype=torch.long),
                     masks=BitmapMasks(masks[:0].numpy(), 30, 31)),
    ]
    # image 0: two proposals for GT 0, one for GT 2, none for GT 1;
    # image 1: none at all
    infos = [
        InstanceData(
            embeds=torch.randn(3, dims, requires_grad=True),
            margins=torch.rand(3, dims) + 0.2,
            points=torch.tensor([[6., 8.], [10., 12.], [25., 4.]]),
            gt_inds=torch.tensor([0, 0, 2])),
        InstanceData(
            embeds=torch.zeros(0, dims), margins=torch.zeros(0, dims),
            points=torch.zeros(0, 2),
            gt_inds=torch.zeros(0, dtype=torch.long)),
        InstanceData(
            embeds=torch.zeros(0, dims), margins=torch.zeros(0, dims),
            points=torch.zeros(0, 2),
            gt_inds=torch.zeros(0, dtype=torch.long)),
    ]
    pixel_embeds = torch.randn(3, dims, 8, 8) * 0.5
    pixel_embeds[0, :, 2:5, 1:4] = infos[0].embeds[0].detach()[:, None, None]
    return pixel_embeds, gts, infos


@pytest.mark.parametrize('padding', [None, 0.1])
def test_mask_loss_matches_plain(padding):
    head = make_head(loss_box_padding=padding)
    head.position_scale.scale.data.fill_(1.5)
    pixel_embeds, gts, infos = loss_inputs(4)
    losses = head.loss_by_feat(pixel_embeds, gts, [{}] * 3, infos)
    assert set(losses) == {'loss_mask'}
    ref = plain_mask_loss(head, pixel_embeds, gts, infos, 0.5, padding)
    assert losses['loss_mask'].item() == pytest.approx(ref, rel=1e-5)
    losses['loss_mask'].backward()
    assert infos[0].embeds.grad.abs().sum() > 0


def test_mask_loss_weight_ignores_gts_without_proposals():
    """An object that got no positive location (GT 1 of image 0) does not
    dilute the mask loss of the image's other objects."""
    head = make_head()
    pixel_embeds, gts, infos = loss_inputs(4)
    full = head.loss_by_feat(pixel_embeds, gts, [{}] * 3, infos)['loss_mask']
    # the same image without the object that has no proposal
    keep = torch.tensor([0, 2])
    gt0 = gts[0]
    reduced = InstanceData(
        bboxes=gt0.bboxes[keep], labels=gt0.labels[keep],
        masks=BitmapMasks(gt0.masks.masks[keep.numpy()], 30, 31))
    info0 = infos[0].clone()
    info0.gt_inds = torch.tensor([0, 0, 1])
    without = head.loss_by_feat(pixel_embeds, [reduced, *gts[1:]],
                                [{}] * 3, [info0, *infos[1:]])['loss_mask']
    assert full.item() == pytest.approx(without.item(), rel=1e-6)


def test_smooth_loss_v1():
    head = make_head(
        num_spatial_dims=0,
        loss_smooth=dict(type='EmbeddingSmoothLoss', loss_weight=0.1))
    pixel_embeds, gts, infos = loss_inputs(4)
    losses = head.loss_by_feat(pixel_embeds, gts, [{}] * 3, infos)
    e, m = infos[0].embeds, infos[0].margins
    # GT 0 of image 0 has two proposals: sum of squared deviations from the
    # mean, / 3 GTs in the image, / 3 images, x 0.1
    dev = ((e[0] - e[1])**2).sum() / 2 + ((m[0] - m[1])**2).sum() / 2
    assert losses['loss_smooth'].item() == pytest.approx(
        0.1 * dev.item() / 3 / 3, rel=1e-5)


def test_loss_without_gt_keeps_graph():
    head = make_head()
    pixel_embeds = torch.randn(1, 4, 8, 8, requires_grad=True)
    empty = InstanceData(
        bboxes=torch.zeros(0, 4), labels=torch.zeros(0, dtype=torch.long),
        masks=BitmapMasks(torch.zeros(0, 32, 32).numpy(), 32, 32))
    info = InstanceData(
        embeds=torch.zeros(0, 4, requires_grad=True),
        margins=torch.zeros(0, 4), points=torch.zeros(0, 2),
        gt_inds=torch.zeros(0, dtype=torch.long))
    loss = head.loss_by_feat(pixel_embeds, [empty], [{}], [info])['loss_mask']
    assert loss.item() == 0
    loss.backward()
    assert pixel_embeds.grad is not None
    with pytest.raises(ValueError, match='positive_infos'):
        head.loss_by_feat(pixel_embeds, [empty], [{}], None)


@pytest.mark.parametrize('rescale', [True, False])
def test_predict(rescale):
    head = make_head()
    pixel_embeds = torch.randn(2, 4, 10, 12) * 0.3
    det = InstanceData(
        bboxes=torch.tensor([[4., 4., 30., 20.], [0., 0., 47., 39.]]),
        scores=torch.tensor([0.9, 0.4]),
        labels=torch.tensor([1, 0]),
        embeds=pixel_embeds[0, :, 3, 4][None].repeat(2, 1),
        margins=torch.full((2, 4), 0.5),
        points=torch.tensor([[0., 0.], [0., 0.]]))
    empty = det[:0]
    metas = [
        dict(img_shape=(40, 48), ori_shape=(80, 96), scale_factor=(0.5, 0.5))
    ] * 2
    results = head.predict_by_feat(pixel_embeds, metas, rescale=rescale,
                                   results_list=[det, empty])
    shape = (80, 96) if rescale else (40, 48)
    assert results[0].masks.shape == (2, *shape)
    assert results[0].masks.dtype == torch.bool
    assert results[0].masks.any()
    assert results[1].masks.shape == (0, *shape)
    assert 'embeds' not in results[0] and 'points' not in results[0]
    factor = 2 if rescale else 1
    torch.testing.assert_close(results[0].bboxes[1],
                               torch.tensor([0., 0., 47., 39.]) * factor)
    # nothing outside the first box padded by 2 cells of 4 px
    box_end = math.floor(30 / 4) + 2
    assert not results[0].masks[0, :, box_end * 4 * factor + 2:].any()
