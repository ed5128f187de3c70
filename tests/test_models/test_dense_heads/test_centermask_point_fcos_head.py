"""FCOS variant of CenterMask: Local Shape vectors at FCOS positives and
through NMS."""
import torch
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData

from mmseginst.models.dense_heads import (CenterMaskPointFCOSHead,
                                          GlobalSaliencyHead)

META = dict(batch_input_shape=(64, 64), img_shape=(64, 64),
            ori_shape=(64, 64), scale_factor=(1.0, 1.0), pad_shape=(64, 64))


def make_head():
    head = CenterMaskPointFCOSHead(
        num_classes=2, in_channels=8, feat_channels=8, stacked_convs=1,
        strides=[8, 16], regress_ranges=((-1, 32), (32, 1e8)),
        norm_cfg=None, shape_size=4, shape_feat_channels=8,
        test_cfg=ConfigDict(nms_pre=50, score_thr=0.0, max_per_img=10,
                            nms=dict(type='nms', iou_threshold=0.5)))
    head.init_weights()
    return head


def feats():
    torch.manual_seed(0)
    return (torch.randn(1, 8, 8, 8), torch.randn(1, 8, 4, 4))


def dense_local_shapes(head, x):
    """(num_locations, S*S): the full Local Shape head over every level."""
    return torch.cat([head.shape_head(f)[0].flatten(1).t() for f in x])


def test_outputs_and_positive_infos():
    head = make_head()
    x = feats()
    outs = head(x)
    # the 4th output is the hidden feature of the Local Shape head
    assert [o.shape[1] for o in outs[3]] == [8, 8]
    gt = InstanceData(bboxes=torch.tensor([[8., 8., 40., 36.]]),
                      labels=torch.tensor([1]))
    losses = head.loss_by_feat(*outs, [gt], [META])
    assert set(losses) == {'loss_cls', 'loss_bbox', 'loss_centerness'}
    infos = head.get_positive_infos()
    assert len(infos[0]) > 0 and 'param_preds' not in infos[0]
    assert infos[0].shape_preds.shape == (len(infos[0]), 1, 16)
    assert (infos[0].pos_assigned_gt_inds == 0).all()
    # the vectors are the dense Local Shape map at the positive locations
    torch.testing.assert_close(infos[0].shape_preds[:, 0],
                               dense_local_shapes(head, x)[infos[0].pos_inds])
    # and gradients reach the whole Local Shape head
    infos[0].shape_preds.sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0
               for p in head.shape_head.parameters())


def test_predictions_carry_shape_vectors_to_the_mask_head():
    head = make_head()
    outs = head(feats())
    results = head.predict_by_feat(*outs, batch_img_metas=[META])
    assert 0 < len(results[0]) <= 10
    assert results[0].shape_preds.shape == (len(results[0]), 16)
    # each detection's vector is the dense map at one of the locations
    with torch.no_grad():
        dense = dense_local_shapes(head, feats())
    dist = torch.cdist(results[0].shape_preds.detach(), dense).min(1).values
    assert dist.max() < 1e-5
    masks = GlobalSaliencyHead(num_classes=2, in_channels=8,
                               feat_channels=8)
    out = masks.predict_by_feat(*masks(feats()), [META], rescale=True,
                                results_list=results)[0]
    assert out.masks.shape == (len(results[0]), 64, 64)
