"""CenterMask's RoI head: losses with and without GT (bitmap and polygon
masks), prediction with and without detections, mask_scores."""
import numpy as np
import pytest
import torch
from mmdet.structures.mask import BitmapMasks, PolygonMasks
from mmdet.testing import demo_mm_inputs
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData

from mmseginst.registry import MODELS
from mmseginst.utils import register_all_modules

C, K = 8, 3


def build(mask_iou=True):
    register_all_modules()
    cfg = dict(
        type='CenterMaskRoIHead',
        mask_roi_extractor=dict(
            type='AdaptiveRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=14, sampling_ratio=0),
            out_channels=C, featmap_strides=[8, 16, 32]),
        mask_head=dict(type='SAGMaskHead', num_convs=2, in_channels=C,
                       conv_out_channels=C, num_classes=K),
        mask_iou_head=dict(type='CenterMaskIoUHead', num_convs=2,
                           in_channels=C, conv_out_channels=C,
                           fc_out_channels=16, num_classes=K)
        if mask_iou else None,
        train_cfg=ConfigDict(
            assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5,
                          neg_iou_thr=0.5, min_pos_iou=0.5,
                          match_low_quality=False),
            sampler=dict(type='RandomSampler', num=32, pos_fraction=0.25,
                         add_gt_as_proposals=True),
            mask_size=28, mask_thr_binary=0.5),
        test_cfg=ConfigDict(mask_thr_binary=0.5))
    head = MODELS.build(cfg)
    head.init_weights()
    return head


def feats(n):
    return tuple(torch.randn(n, C, 64 // s, 64 // s) for s in (8, 16, 32))


def samples(num_items, polygon=False):
    packed = demo_mm_inputs(len(num_items), [(3, 64, 64)] * len(num_items),
                            num_items=num_items, num_classes=K,
                            with_mask=True)['data_samples']
    if polygon:  # same instances as polygons (their boxes)
        for s in packed:
            polys = [[np.array([x1, y1, x2, y1, x2, y2, x1, y2], float)]
                     for x1, y1, x2, y2 in s.gt_instances.bboxes.tolist()]
            s.gt_instances.masks = PolygonMasks(polys, 64, 64)
    return packed


def proposals(n_imgs, n):
    torch.manual_seed(1)
    out = []
    for _ in range(n_imgs):
        xy = torch.rand(n, 2) * 40
        out.append(InstanceData(bboxes=torch.cat([xy, xy + 4 + torch.rand(
            n, 2) * 20], 1), scores=torch.rand(n),
                                labels=torch.randint(0, K, (n, ))))
    return out


@pytest.mark.parametrize('polygon', [False, True])
def test_loss_with_gt(polygon):
    torch.manual_seed(0)
    head = build()
    data_samples = samples([3, 2], polygon)
    assert isinstance(data_samples[0].gt_instances.masks,
                      PolygonMasks if polygon else BitmapMasks)
    losses = head.loss(feats(2), proposals(2, 10), data_samples)
    assert set(losses) == {'loss_mask', 'loss_mask_iou'}
    total = sum(losses.values())
    assert torch.isfinite(total) and losses['loss_mask'] > 0
    total.backward()
    assert head.mask_head.sam.conv.weight.grad is not None


@pytest.mark.parametrize('mask_iou,num_dets', [(True, 6), (False, 6),
                                               (True, 0)])
def test_loss_without_gt(mask_iou, num_dets):
    """No GT in the batch, with and without FCOS detections."""
    head = build(mask_iou)
    losses = head.loss(feats(2), proposals(2, num_dets), samples([0, 0]))
    assert all(v.item() == 0 for v in losses.values())
    sum(losses.values()).backward()  # graph kept, no NaN


def test_predict_with_and_without_detections():
    torch.manual_seed(0)
    head = build().eval()
    metas = samples([1, 1])
    metas[1].set_metainfo(dict(ori_shape=(32, 32), scale_factor=(2.0, 2.0)))
    dets = proposals(2, 4)
    dets[0] = dets[0][:0]  # first image: no detection
    scores = dets[1].scores.clone()
    with torch.no_grad():
        res = head.predict(feats(2), dets, metas, rescale=True)
    assert len(res[0]) == 0 and res[0].masks.shape == (0, 64, 64)
    assert res[1].masks.shape == (4, 32, 32)  # original size
    assert torch.equal(res[1].scores, scores)
    assert ((res[1].mask_scores <= res[1].scores + 1e-6) &
            (res[1].mask_scores >= -1)).all()
    # no detection in the whole batch
    empty = [d[:0] for d in proposals(2, 2)]
    with torch.no_grad():
        res = head.predict(feats(2), empty, samples([1, 1]), rescale=True)
    assert all(len(r) == 0 and r.masks.shape == (0, 64, 64) and
               'mask_scores' in r for r in res)


def test_image_shapes_reach_the_adaptive_extractor_as_an_argument():
    """The tensor-mode forward hands the image metas of the batch to the
    extractor (Eq. 2 needs the image areas): a 40 x 40 RoI is more than half
    of a 48 x 48 image (P5) but less than a quarter of 128 x 128 (P3)."""
    torch.manual_seed(0)
    head = build().eval()
    x = feats(1)
    dets = [InstanceData(bboxes=torch.tensor([[0., 0., 40., 40.]]),
                         labels=torch.tensor([0]))]
    seen = []
    head.mask_roi_extractor.roi_layers[0].register_forward_hook(
        lambda *args: seen.append('P3'))
    head.mask_roi_extractor.roi_layers[2].register_forward_hook(
        lambda *args: seen.append('P5'))
    for h, level in ((48, 'P5'), (128, 'P3')):
        sample = samples([1])[0]
        sample.set_metainfo(dict(img_shape=(h, h)))
        with torch.no_grad():
            head.forward(x, dets, [sample])
        assert seen[-1] == level
    # without metas the adaptive rule cannot run: a clear error
    with pytest.raises(ValueError, match='img_shapes'):
        head.forward(x, dets)
