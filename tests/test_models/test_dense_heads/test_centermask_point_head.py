"""CenterMask-Point's heatmap/offset/size/Local Shape head."""
import math

import pytest
import torch
from mmengine.structures import InstanceData

from mmseginst.models.dense_heads import CenterMaskPointHead

META = dict(batch_input_shape=(32, 32), img_shape=(32, 32),
            ori_shape=(32, 32), scale_factor=(1.0, 1.0))


def make_head(**kwargs):
    kwargs.setdefault('shape_size', 4)
    head = CenterMaskPointHead(num_classes=3, in_channels=8, feat_channels=8,
                               **kwargs)
    head.init_weights()
    return head


def plain_focal(pred, target, num_objects, alpha=2.0, beta=4.0):
    """Eq. 3 written plainly: -1/N sum over pixels and classes of
    (1-p)^a log p where Y = 1 and (1-Y)^b p^a log(1-p) elsewhere."""
    total = 0.0
    for p, y in zip(pred.flatten().tolist(), target.flatten().tolist()):
        if y == 1:
            total += (1 - p)**alpha * math.log(p)
        else:
            total += (1 - y)**beta * p**alpha * math.log(1 - p)
    return -total / num_objects


def gt(boxes, labels):
    inst = InstanceData()
    inst.bboxes = torch.tensor(boxes, dtype=torch.float).view(-1, 4)
    inst.labels = torch.tensor(labels, dtype=torch.long)
    return inst


def test_bias_prior_and_output_shapes():
    head = make_head()
    bias = head.heatmap_head[-1].bias
    assert torch.allclose(bias, torch.full_like(bias, -2.1972), atol=1e-4)
    x = torch.randn(2, 8, 8, 8)
    heat, wh, offset, shape = head((x, ))
    assert heat[0].shape == (2, 3, 8, 8) and wh[0].shape == (2, 2, 8, 8)
    # Local Shape features (feat_channels), turned into S*S logits only at
    # the cells that are used
    assert offset[0].shape == (2, 2, 8, 8) and shape[0].shape == (2, 8, 8, 8)
    assert 0 <= heat[0].min() and heat[0].max() <= 1
    no_shape = make_head(shape_size=None)
    assert no_shape((x, ))[3][0] is None
    with pytest.raises(ValueError, match='shape_size'):
        make_head(shape_size=0)
    # a train_cfg key the head does not know (e.g. the removed mask_boxes)
    # is named, not ignored
    assert make_head(train_cfg=dict(min_overlap=0.7)).min_overlap == 0.7
    with pytest.raises(ValueError, match='mask_boxes'):
        make_head(train_cfg=dict(mask_boxes='predicted'))


def test_targets_hand_made():
    head = make_head()
    # box (4, 8)-(12, 16) on a 32x32 input, stride 4: center (2, 3) cells,
    # size 2 x 2 cells, offset 0
    boxes = [torch.tensor([[4., 8., 12., 16.], [1., 1., 6., 3.]])]
    targets, avg = head.get_targets(boxes, [torch.tensor([1, 0])],
                                    (1, 3, 8, 8), (32, 32))
    assert avg == 2
    heat = targets['center_heatmap_target']
    assert heat[0, 1, 3, 2] == 1 and heat[0, 0, 0, 0] == 1
    assert heat.eq(1).sum() == 2
    assert targets['wh_target'][0, :, 3, 2].tolist() == [2.0, 2.0]
    # second center (0.875, 0.5): cell (0, 0), offset (0.875, 0.5)
    assert targets['offset_target'][0, :, 0, 0].tolist() == [0.875, 0.5]
    assert targets['center_inds'][0].tolist() == [3 * 8 + 2, 0]


def test_heatmap_loss_is_eq3():
    """The reused GaussianFocalLoss, normalised by the number of objects, is
    the paper's penalty-reduced focal loss."""
    torch.manual_seed(0)
    head = make_head()
    x = torch.randn(1, 8, 8, 8)
    outs = head((x, ))
    gts = [gt([[4., 8., 12., 16.], [16., 4., 30., 30.]], [1, 2])]
    losses = head.loss_by_feat(*outs, gts, [META])
    targets, num = head.get_targets([gts[0].bboxes], [gts[0].labels],
                                    outs[0][0].shape, (32, 32))
    ref = plain_focal(outs[0][0].detach(), targets['center_heatmap_target'],
                      float(num))
    assert losses['loss_center_heatmap'].item() == pytest.approx(ref,
                                                                 rel=1e-5)


def test_loss_with_and_without_gt_and_positive_infos():
    torch.manual_seed(0)
    head = make_head()
    x = torch.randn(2, 8, 8, 8, requires_grad=True)
    outs = head((x, ))
    gts = [gt([[4., 8., 12., 16.]], [1]), gt([], [])]
    losses = head.loss_by_feat(*outs, gts, [META, META])
    assert all(torch.isfinite(v) for v in losses.values())
    assert losses['loss_center_heatmap'] > 0 and losses['loss_wh'] > 0
    infos = head.get_positive_infos()
    assert infos[0].shape_preds.shape == (1, 1, 16)
    assert infos[1].shape_preds.shape == (0, 1, 16)
    # the vector of the object is the dense Local Shape map (the whole head
    # run as convolutions) at its center cell (2, 3)
    dense = head.shape_head(x)
    torch.testing.assert_close(infos[0].shape_preds[0, 0], dense[0, :, 3, 2])
    # no objects at all: only the heatmap loss (pushing scores down) is left
    empty = head.loss_by_feat(*outs, [gt([], []), gt([], [])], [META, META])
    assert empty['loss_center_heatmap'] > 0
    assert empty['loss_wh'] == 0 and empty['loss_offset'] == 0
    sum(empty.values()).backward()


def test_stacks_are_averaged():
    torch.manual_seed(0)
    head = make_head()
    x = torch.randn(1, 8, 8, 8)
    gts = [gt([[4., 8., 12., 16.]], [1])]
    one = head.loss_by_feat(*head((x, )), gts, [META])
    two = head.loss_by_feat(*head((x, x)), gts, [META])
    for key in one:
        assert two[key].item() == pytest.approx(one[key].item(), rel=1e-6)
    assert head.get_positive_infos()[0].shape_preds.shape == (1, 2, 16)


def test_decoding_hand_made_heatmap():
    head = make_head(test_cfg=dict(topk=3))
    heat = torch.zeros(1, 3, 8, 8)
    heat[0, 1, 3, 2] = 0.9  # peak: class 1 at cell (x=2, y=3)
    heat[0, 1, 3, 3] = 0.8  # its neighbour: suppressed by the 3x3 max-pool
    heat[0, 2, 6, 6] = 0.7  # a second object, class 2
    wh = torch.zeros(1, 2, 8, 8)
    wh[0, :, 3, 2] = torch.tensor([2.0, 4.0])
    wh[0, :, 6, 6] = torch.tensor([1.0, 1.0])
    offset = torch.zeros(1, 2, 8, 8)
    offset[0, :, 3, 2] = torch.tensor([0.5, 0.25])
    shape = torch.randn(1, 8, 8, 8)  # Local Shape features
    res = head.predict_by_feat([heat], [wh], [offset], [shape], [META])[0]
    assert res.scores[:2].tolist() == pytest.approx([0.9, 0.7])
    assert res.labels[:2].tolist() == [1, 2]
    # center (2.5, 3.25) cells, size 2 x 4 cells, stride 4
    torch.testing.assert_close(res.bboxes[0],
                               torch.tensor([6.0, 5.0, 14.0, 21.0]))
    torch.testing.assert_close(res.bboxes[1],
                               torch.tensor([22.0, 22.0, 26.0, 26.0]))
    # the 1x1 conv at the peak cell only == the dense 1x1 conv there
    dense = head.shape_head[-1](shape)
    torch.testing.assert_close(res.shape_preds[0], dense[0, :, 3, 2])
    torch.testing.assert_close(res.shape_preds[1], dense[0, :, 6, 6])
    assert 0.8 not in res.scores.tolist()
    # score threshold and rescaling to the original image
    head.test_cfg['score_thr'] = 0.75
    meta = dict(META, scale_factor=(2.0, 2.0), ori_shape=(16, 16))
    res = head.predict_by_feat([heat], [wh], [offset], [shape], [meta],
                               rescale=True)[0]
    assert len(res) == 1
    torch.testing.assert_close(res.bboxes[0],
                               torch.tensor([3.0, 2.5, 7.0, 10.5]))

