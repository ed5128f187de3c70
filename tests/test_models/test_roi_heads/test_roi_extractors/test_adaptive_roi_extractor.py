"""CenterMask's adaptive RoI level assignment (Eq. 2) and FPN's rule (Eq. 1)
as mmdet's SingleRoIExtractor with finest_scale=112."""
import math

import pytest
import torch
from mmcv.ops import roi_align
from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor

from mmseginst.models.roi_heads.roi_extractors import AdaptiveRoIExtractor
from mmseginst.models.roi_heads.roi_extractors.adaptive_roi_extractor import \
    adaptive_roi_levels

ROI_LAYER = dict(type='RoIAlign', output_size=7, sampling_ratio=0)


def extractor(strides=(8, 16, 32)):
    return AdaptiveRoIExtractor(ROI_LAYER, 4, list(strides))


def test_hand_checked_levels():
    ext = extractor()
    # image 0: 100 x 100 (area 10000); image 1: 50 x 100 (area 5000)
    rois = torch.tensor([
        [0, 0, 0, 100, 60],  # 6000 > 1/2 -> P5
        [0, 0, 0, 100, 50],  # exactly 1/2: ceil(5 - 1) = 4 -> P4
        [0, 0, 0, 50, 60],  # 3000 in (1/4, 1/2] -> P4
        [0, 0, 0, 50, 50],  # exactly 1/4: ceil(5 - 2) = 3 -> P3
        [0, 10, 10, 20, 20],  # tiny -> P3 (clamped from ceil(5-6.6)=-1)
        [1, 0, 0, 50, 60],  # 3000 of 5000 > 1/2 -> P5
        [1, 5, 5, 5, 9],  # zero area -> P3
    ], dtype=torch.float)
    levels = adaptive_roi_levels(rois, torch.tensor([10000., 5000.]), 3, 5)
    assert levels.tolist() == [2, 1, 1, 0, 0, 2, 0]
    # the extractor maps only inside forward, which needs the shapes
    with pytest.raises(RuntimeError, match='img_shapes'):
        ext.map_roi_levels(rois, 3)
    feats = tuple(torch.randn(2, 4, 100 // s, 100 // s) for s in (8, 16, 32))
    with pytest.raises(ValueError, match='img_shapes'):
        ext(feats, rois)


def test_matches_formula_on_random_boxes():
    torch.manual_seed(0)
    ext = extractor((4, 8, 16, 32))  # P2-P5: k_min 2, k_max 5
    h, w = 333, 517
    xy = torch.rand(200, 2) * torch.tensor([w, h])
    wh = torch.rand(200, 2) * torch.tensor([w, h]) + 0.5
    rois = torch.cat([torch.zeros(200, 1), xy, xy + wh], dim=1)
    levels = adaptive_roi_levels(rois, torch.tensor([float(h * w)]),
                                 ext.min_level, ext.max_level).tolist()
    for roi, level in zip(rois.tolist(), levels):
        area = (roi[3] - roi[1]) * (roi[4] - roi[2])
        k = math.ceil(5 - math.log2(h * w / area))
        assert level == min(max(k, 2), 5) - 2


def test_features_come_from_the_assigned_level():
    torch.manual_seed(0)
    ext = extractor()
    feats = tuple(torch.randn(2, 4, 64 // s, 64 // s) for s in (8, 16, 32))
    rois = torch.tensor([[0, 0, 0, 60, 60], [1, 8, 8, 24, 24],
                         [1, 0, 0, 40, 30]], dtype=torch.float)
    out = ext(feats, rois, img_shapes=[(64, 64), dict(img_shape=(64, 64))])
    # image area 4096: 3600 -> P5, 256 -> P3, 1200 -> ceil(3.23) = P4
    for i, level in enumerate([2, 0, 1]):
        expected = roi_align(feats[level], rois[i:i + 1], 7,
                             1 / (8 * 2**level), 0, 'avg', True)
        assert torch.allclose(out[i], expected[0])


def test_fpn_rule_is_single_roi_extractor_with_finest_scale_112():
    """Eq. 1 on P3-P5, k = floor(4 + log2(sqrt(wh) / 224)) clamped."""
    torch.manual_seed(1)
    ext = SingleRoIExtractor(ROI_LAYER, 4, [8, 16, 32], finest_scale=112)
    wh = torch.rand(300, 2) * 900 + 1
    rois = torch.cat([torch.zeros(300, 3), wh], dim=1)
    levels = ext.map_roi_levels(rois, 3).tolist()
    for (w, h), level in zip(wh.tolist(), levels):
        k = math.floor(4 + math.log2(math.sqrt(w * h) / 224) + 1e-6)
        assert level == min(max(k, 3), 5) - 3


def test_empty_rois_and_bad_strides():
    ext = extractor()
    feats = tuple(torch.randn(1, 4, 8 // (s // 8), 8 // (s // 8))
                  for s in (8, 16, 32))
    out = ext(feats, torch.zeros(0, 5), img_shapes=[(64, 64)])
    assert out.shape == (0, 4, 7, 7)
    with pytest.raises(ValueError, match='powers of 2'):
        extractor((8, 12, 32))

