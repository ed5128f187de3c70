"""LocationVectorsMixin: named per-location vectors reach the positives of
FCOS's assignment and the detections kept by NMS unchanged."""
import pytest
import torch
from mmdet.models.dense_heads import CondInstBboxHead, FCOSHead
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from torch import nn

from mmseginst.models.utils import LocationVectorsMixin

STRIDES = [8, 16]
META = dict(img_shape=(64, 64), ori_shape=(64, 64), scale_factor=(1., 1.))


class TwoVectorHead(LocationVectorsMixin, CondInstBboxHead):
    """FCOS plus two vectors per location: 2 and 3 channels."""

    def __init__(self, **kwargs):
        self.vector_channels = dict(first=2, second=3)
        super().__init__(num_params=5, **kwargs)

    def _init_layers(self):
        super()._init_layers()
        self.conv_first = nn.Conv2d(self.in_channels, 2, 1)
        self.conv_second = nn.Conv2d(self.in_channels, 3, 1)

    def forward_single(self, x, scale, stride):
        cls_score, bbox_pred, centerness = FCOSHead.forward_single(
            self, x, scale, stride)
        return (cls_score, bbox_pred, centerness, self.conv_first(x),
                self.conv_second(x))


def make_head():
    torch.manual_seed(0)
    head = TwoVectorHead(
        num_classes=2, in_channels=4, feat_channels=4, stacked_convs=1,
        strides=STRIDES, regress_ranges=((-1, 32), (32, 1e8)),
        norm_cfg=None, center_sampling=True,
        test_cfg=ConfigDict(nms_pre=50, score_thr=0.0, max_per_img=20,
                            nms=dict(type='nms', iou_threshold=0.5)))
    head.init_weights()
    return head


def feats(batch=2):
    torch.manual_seed(1)
    return tuple(torch.randn(batch, 4, 64 // s, 64 // s) for s in STRIDES)


def flat(mlvl, img):
    """(num_locations, C) of one image over all levels, FCOS's order."""
    return torch.cat([t[img].flatten(1).t() for t in mlvl])


def test_no_controller_and_vector_outputs():
    head = make_head()
    assert not hasattr(head, 'controller')
    outs = head(feats())
    assert len(outs) == 5
    assert [o.shape[1] for o in outs[3]] == [2, 2]


def test_positives_carry_their_vectors_and_distances():
    head = make_head()
    outs = head(feats())
    gts = [InstanceData(bboxes=torch.tensor([[8., 8., 40., 36.],
                                             [30., 2., 62., 60.]]),
                        labels=torch.tensor([1, 0])),
           InstanceData(bboxes=torch.zeros(0, 4),
                        labels=torch.zeros(0, dtype=torch.long))]
    losses = head.loss_by_feat(*outs, gts, [META, META])
    assert set(losses) == {'loss_cls', 'loss_bbox', 'loss_centerness'}
    infos = head.get_positive_infos()
    assert len(infos[0]) > 0 and len(infos[1]) == 0
    assert 'param_preds' not in infos[0]
    assert set(infos[0].pos_assigned_gt_inds.tolist()) == {0, 1}
    for img, info in enumerate(infos):
        pos = info.pos_inds
        torch.testing.assert_close(info.first, flat(outs[3], img)[pos])
        torch.testing.assert_close(info.second, flat(outs[4], img)[pos])
        torch.testing.assert_close(info.bbox_preds, flat(outs[1], img)[pos])
    # gradients reach both vector convs
    (infos[0].first.sum() + infos[0].second.sum()).backward()
    assert head.conv_first.weight.grad is not None
    assert head.conv_second.weight.grad is not None


def test_detections_carry_the_vectors_of_their_locations():
    head = make_head()
    head.eval()
    with torch.no_grad():
        outs = head(feats())
        results = head.predict_by_feat(*outs, batch_img_metas=[META, META])
    for img, res in enumerate(results):
        assert 0 < len(res) <= 20 and 'param_preds' not in res
        # the location index of each detection from its point and stride
        sizes = [64 // s for s in STRIDES]
        starts = [0, sizes[0]**2]
        for k in range(len(res)):
            level = STRIDES.index(int(res.strides[k]))
            col, row = (res.points[k] / STRIDES[level] - 0.5).round().long()
            index = starts[level] + row * sizes[level] + col
            torch.testing.assert_close(res.first[k],
                                       flat(outs[3], img)[index])
            torch.testing.assert_close(res.second[k],
                                       flat(outs[4], img)[index])


def test_wrong_number_of_vectors_is_named():
    head = make_head()
    outs = head(feats())
    with pytest.raises(ValueError, match='first, second'):
        head.loss_by_feat(*outs[:4], [], [])
    with pytest.raises(ValueError, match='first, second'):
        head.predict_by_feat(*outs[:4], batch_img_metas=[META, META])
