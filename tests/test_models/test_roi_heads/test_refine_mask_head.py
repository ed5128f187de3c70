"""RefineMask: semantic fusion module, semantic head, mask heads (full and
'faster-better') and the RoI head, with and without ground truth, batch > 1
and chunked inference."""
import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmcv.ops import roi_align
from mmdet.structures.mask import BitmapMasks, PolygonMasks
from mmdet.testing import demo_mm_inputs, demo_mm_proposals
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData

from mmseginst.models.layers.boundary_band import compose_refined_logits
from mmseginst.models.layers.semantic_fusion_module import (
    MultiBranchFusion, SemanticFusionModule, SimpleSemanticFusionModule,
    class_logits)
from mmseginst.models.roi_heads import (RefineMaskHead, RefineSemanticHead,
                                        SimpleRefineMaskHead)
from mmseginst.models.roi_heads.mask_heads.refine_semantic_head import \
    mask_union
from mmseginst.registry import MODELS
from mmseginst.utils import register_all_modules

register_all_modules()
C = 32  # channels of the tiny heads (stages 32 -> 16 -> 8 -> 4)


def tiny_roi_head(simple=False, chunk=100, **mask_kwargs):
    mask_head = dict(
        type='SimpleRefineMaskHead' if simple else 'RefineMaskHead',
        num_convs=2, in_channels=C, conv_out_channels=C, num_classes=3,
        stage_sup_size=[7, 14, 28, 56], semantic_channels=C)
    mask_head.update(mask_kwargs)
    return MODELS.build(
        dict(
            type='RefineRoIHead',
            mask_chunk_size=chunk,
            semantic_head=dict(
                type='RefineSemanticHead', in_channels=C, conv_out_channels=C,
                with_logits=not simple),
            bbox_roi_extractor=dict(
                type='SingleRoIExtractor',
                roi_layer=dict(type='RoIAlign', output_size=7,
                               sampling_ratio=0),
                out_channels=C, featmap_strides=[4, 8, 16, 32]),
            bbox_head=dict(
                type='Shared2FCBBoxHead', in_channels=C, fc_out_channels=32,
                roi_feat_size=7, num_classes=3),
            mask_roi_extractor=dict(
                type='SingleRoIExtractor',
                roi_layer=dict(type='RoIAlign', output_size=7,
                               sampling_ratio=0),
                out_channels=C, featmap_strides=[4, 8, 16, 32]),
            mask_head=mask_head,
            train_cfg=ConfigDict(
                assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5,
                              neg_iou_thr=0.5, min_pos_iou=0.5),
                sampler=dict(type='RandomSampler', num=32, pos_fraction=0.5,
                             neg_pos_ub=-1, add_gt_as_proposals=True),
                mask_size=28, pos_weight=-1, debug=False),
            test_cfg=ConfigDict(
                score_thr=0.0, nms=dict(type='nms', iou_threshold=0.5),
                max_per_img=10, mask_thr_binary=0.5)))


def feats(batch=2, size=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    return tuple(
        torch.randn(batch, C, size // s, size // s, generator=g)
        for s in (4, 8, 16, 32))


def test_multi_branch_fusion_math():
    torch.manual_seed(0)
    mbf = MultiBranchFusion(4, dilations=(1, 3))
    x = torch.randn(2, 4, 9, 9)
    branches = [
        F.relu(F.conv2d(x, b.conv.weight, b.conv.bias, padding=d,
                        dilation=d)) for b, d in zip(mbf.branches, (1, 3))
    ]
    merge = mbf.merge_conv.conv
    expect = F.conv2d(sum(branches), merge.weight, merge.bias)
    torch.testing.assert_close(mbf(x), expect)
    mbf.with_global_avg = True
    expect = F.conv2d(sum(branches) + x.mean((2, 3), keepdim=True),
                      merge.weight, merge.bias)
    torch.testing.assert_close(mbf(x), expect)


def test_class_logits_equal_conv_then_select():
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(6, 5, 1)
    x = torch.randn(4, 6, 3, 3, requires_grad=True)
    labels = torch.tensor([4, 0, 4, 2])
    fast = class_logits(conv, x, labels)
    slow = conv(x)[torch.arange(4), labels][:, None]
    torch.testing.assert_close(fast, slow)
    grads = torch.autograd.grad(fast.sum(), [x, conv.weight])
    torch.testing.assert_close(
        grads, torch.autograd.grad(slow.sum(), [x, conv.weight]))
    agnostic = torch.nn.Conv2d(6, 1, 1)
    torch.testing.assert_close(class_logits(agnostic, x, labels), agnostic(x))
    assert class_logits(conv, x[:0], labels[:0]).shape == (0, 1, 3, 3)


def test_semantic_fusion_module_shapes_and_masks():
    torch.manual_seed(0)
    sfm = SemanticFusionModule(8, 4, roi_size=7, num_classes=3,
                               semantic_channels=6)
    sfm.init_weights()
    inst = torch.randn(5, 8, 7, 7)
    sem_feat, sem_pred = torch.randn(2, 6, 16, 16), torch.randn(2, 1, 16, 16)
    rois = torch.tensor([[0, 1., 2, 30, 40], [1, 0, 0, 63, 63],
                         [0, 10, 10, 20, 14], [1, 5, 5, 9, 60],
                         [0, 0, 0, 2, 2]])
    labels = torch.tensor([0, 2, 1, 2, 0])
    logits, out = sfm(inst, sem_feat, sem_pred, rois, labels)
    assert logits.shape == (5, 1, 7, 7) and out.shape == (5, 4, 14, 14)
    all_logits = sfm.instance_logits(inst)
    torch.testing.assert_close(logits[:, 0], all_logits[range(5), labels])
    # the last two channels are the instance and semantic masks, upsampled
    sem_mask = roi_align(sem_pred.sigmoid(), rois, (7, 7), 0.25, 0, 'avg',
                         True)
    masks = F.interpolate(torch.cat([logits.sigmoid(), sem_mask], 1),
                          (14, 14), mode='bilinear', align_corners=True)
    torch.testing.assert_close(out[:, 2:], masks)
    assert (out[:, :2] >= 0).all()  # ReLU features
    with pytest.raises(ValueError, match='out_channels'):
        SemanticFusionModule(8, 2, 7, 3)


def test_simple_semantic_fusion_module():
    sfm = SimpleSemanticFusionModule(8, 4, roi_size=7, semantic_channels=6)
    inst, logits = torch.randn(3, 8, 7, 7), torch.randn(3, 1, 7, 7)
    rois = torch.tensor([[0, 1., 2, 30, 40], [1, 0, 0, 63, 63],
                         [0, 10, 10, 20, 14]])
    out = sfm(inst, logits, torch.randn(2, 6, 16, 16), rois)
    assert out.shape == (3, 4, 14, 14)
    same = sfm(inst, logits, torch.randn(2, 6, 16, 16), rois, upsample=False)
    torch.testing.assert_close(same[:, 3:], logits.sigmoid())


def test_semantic_head_targets_and_loss():
    head = RefineSemanticHead(in_channels=C, conv_out_channels=C)
    masks = torch.zeros(2, 20, 24, dtype=torch.uint8)
    masks[0, 0:8, 0:8] = 1
    masks[1, 4:12, 12:20] = 1
    gts = [InstanceData(masks=BitmapMasks(masks.numpy(), 20, 24)),
           InstanceData(masks=BitmapMasks(torch.zeros(0, 16, 16).numpy(),
                                          16, 16))]
    target = head.get_targets(gts, (8, 8), stride=4)  # 32x32 padded canvas
    expect = torch.zeros(2, 8, 8)
    expect[0, 0:2, 0:2] = 1
    expect[0, 1:3, 3:5] = 1
    assert torch.equal(target, expect)
    feat, logits = head(torch.randn(2, C, 8, 8))
    assert feat.shape == (2, C, 8, 8) and logits.shape == (2, 1, 8, 8)
    loss = head.loss(logits, gts)['loss_semantic']
    torch.testing.assert_close(
        loss, F.binary_cross_entropy_with_logits(logits[:, 0], expect))
    # polygons: one rasterisation of all instances = union of their masks
    polys = PolygonMasks([[np.array([1., 1, 9, 1, 9, 7, 1, 7])],
                          [np.array([5., 4, 15, 4, 10, 14]),
                           np.array([0., 12, 3, 12, 3, 15])]], 16, 18)
    np.testing.assert_array_equal(mask_union(polys),
                                  polys.to_ndarray().any(0))
    assert mask_union(polys[:0]) is None
    no_logits = RefineSemanticHead(in_channels=C, conv_out_channels=C,
                                   with_logits=False)
    assert no_logits(torch.randn(1, C, 8, 8))[1] is None


@pytest.mark.parametrize('simple', [False, True])
def test_mask_head_stages(simple):
    torch.manual_seed(0)
    cls = SimpleRefineMaskHead if simple else RefineMaskHead
    head = cls(in_channels=C, conv_out_channels=C, num_classes=3,
               stage_sup_size=[7, 14, 28, 56], semantic_channels=C)
    head.init_weights()
    rois = torch.tensor([[0, 1., 2, 30, 40], [1, 0, 0, 63, 63]])
    outs = head(torch.randn(2, C, 7, 7), torch.randn(2, C, 16, 16),
                torch.randn(2, 1, 16, 16), rois, torch.tensor([2, 1]))
    assert [o.shape for o in outs] == [(2, 1, s, s) for s in (7, 14, 28, 56)]
    # refine() drops the first stage and composes the rest (Eq. 6)
    torch.testing.assert_close(head.refine(outs),
                               compose_refined_logits(outs[1:], 1)[-1])
    if simple:  # class-agnostic last stage computed at 28 and upsampled
        assert head.stage_num_classes == [3, 3, 3, 1]
        assert head.stage_logits[-1].out_channels == 1


def test_roi_head_bad_config():
    with pytest.raises(ValueError, match='output_size'):
        tiny_roi_head(stage_sup_size=[14, 28, 56, 112])
    with pytest.raises(ValueError, match='semantic_stride'):
        tiny_roi_head(semantic_stride=8)


def test_mask_head_bad_config():
    with pytest.raises(ValueError, match='double'):
        RefineMaskHead(stage_sup_size=[14, 28, 60])
    with pytest.raises(ValueError, match='entry per stage'):
        RefineMaskHead(stage_sup_size=[14, 28], stage_num_classes=[80])
    with pytest.raises(ValueError, match='with_logits'):
        RefineMaskHead(in_channels=C, conv_out_channels=C,
                       stage_sup_size=[7, 14], semantic_channels=C)(
                           torch.randn(1, C, 7, 7), torch.randn(1, C, 8, 8),
                           None, torch.tensor([[0, 0., 0, 9, 9]]),
                           torch.tensor([0]))


@pytest.mark.parametrize('simple', [False, True])
def test_roi_head_loss_with_and_without_gt(simple):
    torch.manual_seed(0)
    roi_head = tiny_roi_head(simple)
    packed = demo_mm_inputs(2, [(3, 64, 64), (3, 48, 64)], num_items=[3, 0],
                            num_classes=3, with_mask=True)
    samples = packed['data_samples']
    for s in samples:  # masks padded to the batch shape, as the
        s.set_metainfo(dict(batch_input_shape=(64, 64)))  # preprocessor
        s.gt_instances.masks = s.gt_instances.masks.pad((64, 64))
    proposals = demo_mm_proposals([(3, 64, 64)] * 2, 20)
    losses = roi_head.loss(feats(), proposals, samples)
    assert set(losses) >= {'loss_cls', 'loss_bbox', 'loss_mask'}
    assert ('loss_semantic' in losses) != simple
    for key in ('loss_mask', 'loss_semantic'):
        if key in losses:
            assert torch.isfinite(losses[key]) and losses[key] > 0
    # no ground truth anywhere: the mask loss is a zero in the graph
    for s in samples:
        s.gt_instances = s.gt_instances[:0]
    proposals = demo_mm_proposals([(3, 64, 64)] * 2, 20)
    losses = roi_head.loss(feats(), proposals, samples)
    assert losses['loss_mask'].item() == 0
    losses['loss_mask'].backward()


def detections(seed=0):
    g = torch.Generator().manual_seed(seed)
    out = []
    for n, h in ((5, 64), (3, 48)):
        xy = torch.rand(n, 2, generator=g) * 30
        wh = torch.rand(n, 2, generator=g) * 30 + 2
        out.append(InstanceData(bboxes=torch.cat([xy, xy + wh], 1),
                                scores=torch.rand(n, generator=g),
                                labels=torch.randint(0, 3, (n, ),
                                                     generator=g)))
    return out


@pytest.mark.parametrize('simple', [False, True])
def test_predict_batch_and_chunks(simple):
    torch.manual_seed(0)
    roi_head = tiny_roi_head(simple).eval()
    metas = [dict(ori_shape=(64, 64), img_shape=(64, 64),
                  scale_factor=(1., 1.)),
             dict(ori_shape=(48, 64), img_shape=(48, 64),
                  scale_factor=(1., 1.))]
    x = feats()
    with torch.no_grad():
        batched = roi_head.predict_mask(x, metas, detections(),
                                        rescale=True)
        roi_head.mask_chunk_size = 2  # 8 RoIs in 4 chunks: same masks
        chunked = roi_head.predict_mask(x, metas, detections(),
                                        rescale=True)
        alone = roi_head.predict_mask(tuple(f[1:] for f in x), metas[1:],
                                      detections()[1:], rescale=True)
    assert batched[0].masks.shape == (5, 64, 64)
    assert batched[1].masks.shape == (3, 48, 64)
    assert batched[0].masks.dtype == torch.bool
    for a, b in zip(batched, chunked):
        assert torch.equal(a.masks, b.masks)
    assert torch.equal(batched[1].masks, alone[0].masks)
    empty = [InstanceData(bboxes=torch.zeros(0, 4), scores=torch.zeros(0),
                          labels=torch.zeros(0, dtype=torch.long))] * 2
    with torch.no_grad():
        res = roi_head.predict_mask(x, metas, copy.deepcopy(empty))
    assert res[0].masks.shape[0] == 0
