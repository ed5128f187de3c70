"""Global Saliency head: Mask Assembly in training (GT boxes) and at test
time (predicted boxes), the ablation switches and bad configurations."""
import pytest
import torch
import torch.nn.functional as F
from mmdet.structures.mask import BitmapMasks
from mmengine.structures import InstanceData

from mmseginst.models.dense_heads import GlobalSaliencyHead
from mmseginst.models.layers.mask_assembly import masks_on_grid
from mmseginst.models.losses.assembled_mask_loss import assembled_mask_loss

META = dict(batch_input_shape=(32, 32), img_shape=(32, 32),
            ori_shape=(32, 32), scale_factor=(1.0, 1.0))


def make_head(**kwargs):
    head = GlobalSaliencyHead(num_classes=3, in_channels=8, feat_channels=8,
                              **kwargs)
    head.init_weights()
    return head


def gt_with_masks(boxes, labels, size=32):
    inst = InstanceData()
    inst.bboxes = torch.tensor(boxes, dtype=torch.float).view(-1, 4)
    inst.labels = torch.tensor(labels, dtype=torch.long)
    masks = torch.zeros(len(labels), size, size, dtype=torch.uint8)
    for k, (x1, y1, x2, y2) in enumerate(boxes):
        masks[k, int(y1):int(y2), int(x1):int(x2)] = 1
    inst.masks = BitmapMasks(masks.numpy(), size, size)
    return inst


def positives(shapes_per_image):
    infos = []
    for shapes in shapes_per_image:
        info = InstanceData()
        info.pos_assigned_gt_inds = torch.arange(len(shapes))
        info.shape_preds = shapes
        infos.append(info)
    return infos


def test_saliency_channels_and_bad_configs():
    x = (torch.randn(2, 8, 8, 8), )
    assert make_head()(x)[0][0].shape == (2, 3, 8, 8)
    assert make_head(saliency_type='class_agnostic')(x)[0][0].shape == \
        (2, 1, 8, 8)
    assert make_head(saliency_type=None)(x) == ([None], [(8, 8)])
    with pytest.raises(ValueError, match='saliency_type'):
        make_head(saliency_type='per_pixel')
    with pytest.raises(ValueError, match='nothing to assemble'):
        make_head(saliency_type=None, use_local_shape=False)
    with pytest.raises(ValueError, match='loss_saliency'):
        make_head(saliency_type=None,
                  loss_saliency=dict(type='CrossEntropyLoss',
                                     use_sigmoid=True))


def test_mask_loss_is_eq2_with_gt_boxes():
    torch.manual_seed(0)
    head = make_head()
    sal = torch.randn(1, 3, 8, 8, requires_grad=True)
    shapes = torch.randn(2, 1, 16, requires_grad=True)
    gts = [gt_with_masks([[4, 8, 12, 16], [0, 0, 6, 30]], [1, 2])]
    losses = head.loss_by_feat([sal], [(8, 8)], gts, [META],
                               positives([shapes]))
    # by hand: box 1 covers cells x 1..2, y 2..3, target all ones; box 2
    # covers x 0..1 (rounded from 1.5), y 0..7 with target 1 in column 0
    # and 0.5 in column 1 (the mask covers half of it), half of that in the
    # last row (mask rows 0..29 of cell rows 28..31)
    refs = []
    for k, (x1, y1, x2, y2, target) in enumerate([
        (1, 2, 3, 4, torch.ones(2, 2)),
        (0, 0, 2, 8, torch.tensor([[1.0, 0.5]] * 7 + [[0.5, 0.25]])),
    ]):
        h, w = y2 - y1, x2 - x1
        local = F.interpolate(shapes[k, 0].view(1, 1, 4, 4), (h, w),
                              mode='bilinear', align_corners=False)[0]
        crop = sal[0, gts[0].labels[k], y1:y2, x1:x2][None]
        refs.append(assembled_mask_loss(local, crop, target[None]))
    ref = torch.cat(refs).mean()
    assert losses['loss_mask'].item() == pytest.approx(ref.item(), rel=1e-5)
    losses['loss_mask'].backward()
    assert sal.grad.abs().sum() > 0 and shapes.grad.abs().sum() > 0


def test_masks_on_grid_by_hand():
    # a 24x32 (h x w) image at the top of a 32x32 batch input, stride 4:
    # mask rows 0..7 fill grid rows 0..1; rows 24..31 are padding
    masks = torch.zeros(2, 24, 32)
    masks[0, :8] = 1
    masks[1, :, :6] = 1  # columns 0..5: grid column 0 full, column 1 half
    grid = masks_on_grid(masks, (32, 32), (8, 8))
    expected = torch.zeros(2, 8, 8)
    expected[0, :2] = 1
    expected[1, :6, 0] = 1
    expected[1, :6, 1] = 0.5
    torch.testing.assert_close(grid, expected)
    assert masks_on_grid(masks[:0], (32, 32), (8, 8)).shape == (0, 8, 8)
    with pytest.raises(ValueError, match=r'larger than the network input'):
        masks_on_grid(masks, (16, 32), (4, 8))


def test_loss_on_a_padded_non_square_image():
    """Masks at img_shape (mmdet's default, pad_mask=False) give the loss of
    the same masks padded to the batch input (pad_mask=True): the targets
    stay where the objects are instead of being stretched over the
    padding."""
    torch.manual_seed(0)
    head = make_head()
    sal = torch.randn(1, 3, 8, 8)
    shapes = torch.randn(2, 1, 16)
    boxes, labels = [[4, 8, 12, 16], [0, 0, 6, 20]], [1, 2]
    meta = dict(META, img_shape=(20, 32))
    padded = gt_with_masks(boxes, labels)
    padded.masks.masks[:, 20:] = 0
    unpadded = gt_with_masks(boxes, labels)
    unpadded.masks = BitmapMasks(padded.masks.masks[:, :20], 20, 32)
    losses = [
        head.loss_by_feat([sal], [(8, 8)], [g], [meta],
                          positives([shapes]))['loss_mask']
        for g in (padded, unpadded)
    ]
    assert losses[1].item() == pytest.approx(losses[0].item(), rel=1e-6)


def test_loss_without_gt_keeps_graph():
    head = make_head(loss_saliency=dict(type='CrossEntropyLoss',
                                        use_sigmoid=True))
    sal = torch.randn(2, 3, 8, 8, requires_grad=True)
    shapes = torch.zeros(0, 1, 16, requires_grad=True)
    gts = [gt_with_masks([], []), gt_with_masks([], [])]
    losses = head.loss_by_feat([sal], [(8, 8)], gts, [META, META],
                               positives([shapes, shapes]))
    assert losses['loss_mask'].item() == 0
    # no object anywhere: the direct saliency target is all background
    ref = F.binary_cross_entropy_with_logits(sal, torch.zeros_like(sal))
    assert losses['loss_saliency'].item() == pytest.approx(ref.item(),
                                                           rel=1e-5)
    sum(losses.values()).backward()


def test_saliency_target_is_union_per_class():
    head = make_head(saliency_type='class_specific')
    masks = [torch.zeros(3, 2, 2)]
    masks[0][0, 0, 0] = 1
    masks[0][1, 0, 1] = 0.5
    masks[0][2, 0, 1] = 0.75
    gts = [gt_with_masks([[0, 0, 1, 1]] * 3, [0, 1, 1])]
    target = head._saliency_target(masks, gts, torch.zeros(1, 3, 2, 2))
    assert target[0, 0].tolist() == [[1, 0], [0, 0]]
    assert target[0, 1].tolist() == [[0, 0.75], [0, 0]]
    assert target[0, 2].abs().sum() == 0
    agnostic = make_head(saliency_type='class_agnostic')
    target = agnostic._saliency_target(masks, gts, torch.zeros(1, 1, 2, 2))
    assert target[0, 0].tolist() == [[1, 0.75], [0, 0]]


def test_ablations_and_stacks():
    torch.manual_seed(0)
    gts = [gt_with_masks([[4, 8, 12, 16]], [1])]
    x = (torch.randn(1, 8, 8, 8), torch.randn(1, 8, 8, 8))
    shape_only = make_head(saliency_type=None)
    loss = shape_only.loss_by_feat(*shape_only(x[:1]), gts, [META],
                                   positives([torch.randn(1, 1, 16)]))
    assert torch.isfinite(loss['loss_mask'])
    sal_only = make_head(use_local_shape=False)
    info = InstanceData(pos_assigned_gt_inds=torch.arange(1))
    loss = sal_only.loss_by_feat(*sal_only(x[:1]), gts, [META], [info])
    assert torch.isfinite(loss['loss_mask'])
    with pytest.raises(ValueError, match='Local Shape'):
        make_head().loss_by_feat(*make_head()(x[:1]), gts, [META], [info])
    # Hourglass: two stacks, two supervised Local Shape maps
    stacked = make_head(in_indices=(0, 1))
    loss = stacked.loss_by_feat(*stacked(x), gts, [META],
                                positives([torch.randn(1, 2, 16)]))
    assert torch.isfinite(loss['loss_mask'])
    with pytest.raises(ValueError, match='in_indices'):
        stacked.loss_by_feat(*stacked(x), gts, [META],
                             positives([torch.randn(1, 1, 16)]))


def detections(boxes, labels, size=4):
    res = InstanceData()
    res.bboxes = torch.tensor(boxes, dtype=torch.float).view(-1, 4)
    res.labels = torch.tensor(labels, dtype=torch.long)
    res.scores = torch.linspace(0.9, 0.5, len(labels))
    res.shape_preds = torch.full((len(labels), size * size), 10.0)
    return res


def test_predict_pastes_masks_at_original_size():
    head = make_head(test_cfg=dict(mask_thr=0.4))
    sal = torch.full((1, 3, 8, 8), -10.0)
    sal[0, 1, 2:4, 1:3] = 10.0  # class 1 salient exactly inside box 0
    res = [detections([[4, 8, 12, 16], [20, 20, 28, 28]], [1, 0])]
    meta = dict(META, ori_shape=(16, 16), scale_factor=(2.0, 2.0))
    out = head.predict_by_feat([sal], [(8, 8)], [meta], rescale=True,
                               results_list=res)[0]
    assert out.masks.shape == (2, 16, 16) and out.masks.dtype == torch.bool
    torch.testing.assert_close(out.bboxes[0],
                               torch.tensor([2.0, 4.0, 6.0, 8.0]))
    # the first mask is the box (up to the bilinear edge), the second empty
    rows, cols = out.masks[0].nonzero(as_tuple=True)
    assert 2 <= int(cols.min()) <= 3 and 5 <= int(cols.max()) <= 6
    assert 4 <= int(rows.min()) <= 5 and 7 <= int(rows.max()) <= 8
    assert not out.masks[1].any()
    # no rescale: masks at the input image size
    out = head.predict_by_feat([sal], [(8, 8)], [META], rescale=False,
                               results_list=res)[0]
    assert out.masks.shape == (2, 32, 32)


def test_predict_empty_and_border():
    head = make_head()
    sal = torch.zeros(1, 3, 8, 8)
    empty = detections([], [])
    out = head.predict_by_feat([sal], [(8, 8)], [META], rescale=True,
                               results_list=[empty])[0]
    assert out.masks.shape == (0, 32, 32) and out.bboxes.shape == (0, 4)
    # mmdet's CenterNet test padding: a 20x24 image placed at (top 4, left
    # 6) of the 32x32 input
    meta = dict(META, ori_shape=(20, 24), border=[4, 24, 6, 30])
    res = [detections([[6, 4, 14, 12]], [0])]
    out = head.predict_by_feat([sal], [(8, 8)], [meta], rescale=True,
                               results_list=res)[0]
    assert out.masks.shape == (1, 20, 24)
    torch.testing.assert_close(out.bboxes[0],
                               torch.tensor([0.0, 0.0, 8.0, 8.0]))
    with pytest.raises(ValueError, match='detections'):
        head.predict_by_feat([sal], [(8, 8)], [META], results_list=None)

