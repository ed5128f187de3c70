"""The ONNX mappings of NMS and RoIAlign give, in ONNX Runtime, what
mmcv gives in PyTorch (and what a plain restatement gives)."""
import numpy as np
import onnxruntime as ort
import pytest
import torch
from torch import nn

from mmseginst.deployment.ops import (batched_nms_indices, nms_indices,
                                      onnx_mmcv_symbolics, roi_align)


def run_onnx(module, inputs, path, names=('a', 'b'), dynamic=None):
    with onnx_mmcv_symbolics():
        torch.onnx.export(module, inputs, str(path), dynamo=False,
                          opset_version=17, input_names=list(names),
                          dynamic_axes=dynamic)
    sess = ort.InferenceSession(str(path),
                                providers=['CPUExecutionProvider'])
    return sess.run(None, {n: t.numpy() for n, t in zip(names, inputs)})


def plain_nms(boxes, scores, thr):
    """Greedy NMS written out: best first, drop IoU > thr."""
    order = sorted(range(len(scores)), key=lambda i: -float(scores[i]))
    keep = []
    for i in order:
        ok = True
        for j in keep:
            x1 = max(boxes[i][0], boxes[j][0])
            y1 = max(boxes[i][1], boxes[j][1])
            x2 = min(boxes[i][2], boxes[j][2])
            y2 = min(boxes[i][3], boxes[j][3])
            inter = max(x2 - x1, 0) * max(y2 - y1, 0)
            area = lambda b: (b[2] - b[0]) * (b[3] - b[1])  # noqa: E731
            if inter / (area(boxes[i]) + area(boxes[j]) - inter) > thr:
                ok = False
                break
        if ok:
            keep.append(i)
    return keep


def plain_batched_nms(boxes, scores, labels, num_groups, thr):
    """Plain NMS within each group, then all kept sorted by score."""
    kept = []
    for c in range(num_groups):
        idx = torch.nonzero(labels == c)[:, 0].tolist()
        kept += [idx[j] for j in plain_nms(boxes[idx].tolist(),
                                           scores[idx].tolist(), thr)]
    return sorted(kept, key=lambda i: -float(scores[i]))


def random_boxes(n, seed):
    g = torch.Generator().manual_seed(seed)
    xy = torch.rand(n, 2, generator=g) * 50
    wh = torch.rand(n, 2, generator=g) * 30 + 1
    return torch.cat([xy, xy + wh], 1), torch.rand(n, generator=g)


class NMS(nn.Module):

    def forward(self, boxes, scores):
        return nms_indices(boxes, scores, 0.5)


class BatchedNMS(nn.Module):

    def forward(self, boxes, scores, labels):
        return batched_nms_indices(boxes, scores, labels, 0.3, 3)


def test_nms_hand_checked(tmp_path):
    # box 1 overlaps box 0 with IoU 0.81 (> 0.5) and goes; box 2 is apart;
    # box 3 overlaps box 2 with IoU 1/3 (< 0.5) and stays
    boxes = torch.tensor([[0., 0, 10, 10], [0, 0, 9, 9], [20, 20, 30, 30],
                          [25, 20, 35, 30]])
    scores = torch.tensor([0.9, 0.8, 0.7, 0.95])
    expected = [3, 0, 2]
    assert nms_indices(boxes, scores, 0.5).tolist() == expected
    onnx_keep, = run_onnx(NMS(), (boxes, scores), tmp_path / 'n.onnx')
    assert onnx_keep.tolist() == expected


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_nms_random_matches_plain(tmp_path, seed):
    boxes, scores = random_boxes(60, seed)
    expected = plain_nms(boxes.tolist(), scores.tolist(), 0.5)
    assert nms_indices(boxes, scores, 0.5).tolist() == expected
    # the graph takes any number of boxes
    onnx_keep, = run_onnx(NMS(), (boxes[:10], scores[:10]),
                          tmp_path / 'n.onnx', dynamic=dict(a=[0], b=[0]))
    sess = ort.InferenceSession(str(tmp_path / 'n.onnx'),
                                providers=['CPUExecutionProvider'])
    out, = sess.run(None, dict(a=boxes.numpy(), b=scores.numpy()))
    assert out.tolist() == expected


def test_batched_nms_is_per_class(tmp_path):
    boxes, scores = random_boxes(40, 3)
    labels = torch.arange(40) % 3
    expected = plain_batched_nms(boxes, scores, labels, 3, 0.3)
    assert batched_nms_indices(boxes, scores, labels, 0.3, 3).tolist() == \
        expected
    out, = run_onnx(BatchedNMS(), (boxes, scores, labels),
                    tmp_path / 'b.onnx', names=('a', 'b', 'c'))
    assert out.tolist() == expected


class Align(nn.Module):

    def __init__(self, aligned, sampling_ratio):
        super().__init__()
        from mmcv.ops import RoIAlign
        self.layer = RoIAlign((7, 5), 0.25, sampling_ratio, aligned=aligned)

    def forward(self, feats, rois):
        return roi_align(self.layer, feats, rois)


@pytest.mark.parametrize('aligned', [True, False])
@pytest.mark.parametrize('sampling_ratio', [0, 2])
def test_roi_align_matches_mmcv(tmp_path, aligned, sampling_ratio):
    from mmcv.ops import roi_align as mmcv_roi_align
    g = torch.Generator().manual_seed(0)
    feats = torch.randn(2, 3, 16, 20, generator=g)
    boxes, _ = random_boxes(9, 4)
    rois = torch.cat([(torch.arange(9) % 2).float()[:, None], boxes], 1)
    expected = mmcv_roi_align(feats, rois, (7, 5), 0.25, sampling_ratio,
                              'avg', aligned)
    module = Align(aligned, sampling_ratio)
    assert torch.equal(module(feats, rois), expected)
    out, = run_onnx(module, (feats, rois), tmp_path / 'r.onnx')
    np.testing.assert_allclose(out, expected.numpy(), rtol=1e-5, atol=1e-5)


def test_roi_align_one_pixel_hand_checked():
    # a constant map of 3s gives 3 everywhere; a ramp along x gives the
    # bin centres: aligned RoI [0, 4) on a stride-1 map, 2 bins -> x = 1, 3
    # sampled at pixel centres shifted by -0.5: values 0.5 and 2.5
    from mmcv.ops import RoIAlign
    ramp = torch.arange(8.).repeat(1, 1, 8, 1)
    layer = RoIAlign((1, 2), 1.0, 1, aligned=True)
    out = roi_align(layer, ramp, torch.tensor([[0., 0, 0, 4, 4]]))
    assert out.flatten().tolist() == [0.5, 2.5]


class MultiLevel(nn.Module):
    """mmdet's four-level RoI extractor through ``extract_roi_feats``."""

    def __init__(self):
        super().__init__()
        from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor
        self.extractor = SingleRoIExtractor(
            dict(type='RoIAlign', output_size=7, sampling_ratio=0),
            out_channels=3, featmap_strides=[4, 8, 16, 32])

    def forward(self, f0, f1, f2, f3, rois):
        from mmseginst.deployment.ops import extract_roi_feats
        return extract_roi_feats(self.extractor, (f0, f1, f2, f3), rois)


def test_roi_levels_of_any_count_after_the_trace(tmp_path):
    """Traced with one RoI on the finest level and none on the others, run
    on 13 RoIs spread over all levels (a trace that froze the per-level
    counts failed there: 'cannot reshape {13, C, 7, 7} to {C, 7, 7}')."""
    g = torch.Generator().manual_seed(0)
    feats = [torch.randn(1, 3, 64 // 2**i, 64 // 2**i, generator=g)
             for i in range(4)]
    module = MultiLevel()
    names = ('f0', 'f1', 'f2', 'f3', 'rois')
    path = str(tmp_path / 'levels.onnx')
    with onnx_mmcv_symbolics():
        torch.onnx.export(module, (*feats, torch.tensor([[0., 2, 2, 9, 9]])),
                          path, dynamo=False, opset_version=17,
                          input_names=list(names),
                          dynamic_axes=dict(rois={0: 'n'}))
    sizes = torch.tensor([4., 20, 60, 100, 120, 150, 200, 250, 300, 400,
                          450, 480, 500])
    rois = torch.stack([torch.zeros(13), torch.zeros(13), torch.zeros(13),
                        sizes, sizes], 1)
    expected = module.extractor(feats, rois)
    assert len(set(module.extractor.map_roi_levels(rois, 4).tolist())) == 4
    assert torch.equal(module(*feats, rois), expected)
    sess = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    out, = sess.run(None, {n: t.numpy() for n, t in zip(names, (*feats,
                                                                 rois))})
    np.testing.assert_allclose(out, expected.numpy(), rtol=1e-5, atol=1e-5)


def test_batched_nms_many_groups_any_count(tmp_path):
    """Groups run as ONNX classes: traced on 10 boxes, run on 200 in 7
    groups (one of them empty), the kept indices equal the per-group plain
    NMS sorted by score."""
    boxes, scores = random_boxes(200, 5)
    labels = torch.randint(0, 6, (200, ), generator=torch.Generator()
                           .manual_seed(1))  # group 6 stays empty
    expected = plain_batched_nms(boxes, scores, labels, 7, 0.3)

    class SevenGroups(nn.Module):

        def forward(self, boxes, scores, labels):
            return batched_nms_indices(boxes, scores, labels, 0.3, 7)

    assert SevenGroups()(boxes, scores, labels).tolist() == expected
    path = tmp_path / 'g.onnx'
    run_onnx(SevenGroups(), (boxes[:10], scores[:10], labels[:10]), path,
             names=('a', 'b', 'c'), dynamic=dict(a=[0], b=[0], c=[0]))
    sess = ort.InferenceSession(str(path), providers=['CPUExecutionProvider'])
    out, = sess.run(None, dict(a=boxes.numpy(), b=scores.numpy(),
                               c=labels.numpy()))
    assert out.tolist() == expected


def test_batched_nms_group_out_of_range():
    boxes, scores = random_boxes(4, 0)
    with pytest.raises(ValueError, match=r'\[0, 2\), got 0\.\.2'):
        batched_nms_indices(boxes, scores, torch.tensor([0, 1, 2, 0]), 0.5,
                            2)


@pytest.mark.parametrize('aligned', [True, False])
def test_roi_align_of_an_empty_box(tmp_path, aligned):
    """The RoIs of other levels are pooled as empty boxes: with adaptive
    sampling an aligned empty box takes no sample (zeros; an unaligned one
    is widened to one pixel: one sample per bin), in mmcv and ONNX Runtime
    alike; the level mask then removes them."""
    feats = torch.arange(1., 65.).reshape(1, 1, 8, 8)
    rois = torch.tensor([[0., 0, 0, 0, 0]])
    module = Align(aligned, 0)
    expected = module(feats, rois)
    if aligned:
        assert not expected.any()
    out, = run_onnx(module, (feats, rois), tmp_path / 'e.onnx')
    np.testing.assert_allclose(out, expected.numpy(), rtol=1e-6)


def test_batched_nms_without_boxes(tmp_path):
    """An image without candidates keeps nothing in either runtime (the
    graph traced on two boxes, run on none)."""
    boxes = torch.tensor([[0., 0, 10, 10], [1, 1, 10, 10]])
    scores, labels = torch.tensor([0.9, 0.8]), torch.tensor([0, 0])
    none = (torch.zeros(0, 4), torch.zeros(0), torch.zeros(0,
                                                           dtype=torch.long))
    assert BatchedNMS()(*none).tolist() == []
    path = tmp_path / 'z.onnx'
    kept, = run_onnx(BatchedNMS(), (boxes, scores, labels), path,
                     names=('a', 'b', 'c'), dynamic=dict(a=[0], b=[0], c=[0]))
    assert kept.tolist() == [0]
    sess = ort.InferenceSession(str(path), providers=['CPUExecutionProvider'])
    out, = sess.run(None, dict(zip('abc', (t.numpy() for t in none))))
    assert out.tolist() == []
