"""ScaledDetLocalVisualizer: pictures of small images drawn enlarged."""
import cv2
import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks
from mmengine.structures import InstanceData

from mmseginst.visualization import (ScaledDetLocalVisualizer,
                                     scaled_visualizer_cfg)
from mmseginst.visualization.scaled_local_visualizer import (
    scale_data_sample, scale_factor_for)


def test_scale_factor():
    assert scale_factor_for((128, 128), None, 512) == 4
    assert scale_factor_for((48, 64), None, 512) == 10  # 512 // 48
    assert scale_factor_for((480, 640), None, 512) == 1
    assert scale_factor_for((480, 640), 0.5, 512) == 0.5
    with pytest.raises(ValueError, match='scale must be > 0'):
        scale_factor_for((8, 8), 0, 512)


def _sample(h, w, rng):
    mask = rng.random((2, h, w)) > 0.5
    sample = DetDataSample()
    sample.gt_instances = InstanceData(
        bboxes=HorizontalBoxes(torch.tensor([[1., 2., 10., 12.],
                                             [0., 0., 5., 4.]])),
        labels=torch.tensor([0, 1]), masks=BitmapMasks(mask, h, w))
    sample.pred_instances = InstanceData(
        bboxes=torch.tensor([[1., 2., 10., 12.]]), labels=torch.tensor([2]),
        scores=torch.tensor([0.9]), masks=torch.as_tensor(mask[:1]))
    return sample, mask


def test_scale_data_sample_restated():
    rng = np.random.default_rng(0)
    sample, mask = _sample(6, 5, rng)
    out = scale_data_sample(sample, 3, (18, 15))
    # nearest neighbour x3 = every pixel repeated 3 times along each axis
    expected = mask.repeat(3, axis=1).repeat(3, axis=2)
    assert np.array_equal(out.gt_instances.masks.masks, expected)
    assert torch.equal(out.pred_instances.masks, torch.as_tensor(
        expected[:1]))
    # mmdet's box type becomes the tensor that mmdet's drawing expects
    assert torch.allclose(out.gt_instances.bboxes,
                          sample.gt_instances.bboxes.tensor * 3)
    assert torch.allclose(out.pred_instances.bboxes,
                          torch.tensor([[3., 6., 30., 36.]]))
    # the caller's sample is untouched
    assert sample.gt_instances.masks.masks.shape == (2, 6, 5)


@pytest.mark.parametrize('scale,expected_hw', [(None, (480, 640)),
                                               (2.5, (120, 160)),
                                               (1, (48, 64))])
def test_written_picture_has_the_scaled_size(tmp_path, scale, expected_hw):
    rng = np.random.default_rng(1)
    image = rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)
    sample, _ = _sample(48, 64, rng)
    vis = ScaledDetLocalVisualizer(name=f'scaled_{scale}', scale=scale)
    # three classes for a palette of one colour: extended, not an error
    vis.dataset_meta = dict(classes=('a', 'b', 'c'), palette=[(255, 0, 0)])
    assert len(vis.dataset_meta['palette']) == 3
    out = str(tmp_path / 'pic.png')
    vis.add_datasample('pic', image, sample, draw_gt=True, draw_pred=True,
                       out_file=out, pred_score_thr=0.3)
    picture = cv2.imread(out)
    h, w = expected_hw
    assert picture.shape == (h, 2 * w, 3)  # ground truth | prediction


def test_visualizer_cfg():
    cfg = scaled_visualizer_cfg(dict(type='DetLocalVisualizer', alpha=0.5),
                                2.0)
    assert cfg == dict(type='ScaledDetLocalVisualizer', alpha=0.5,
                       scale=2.0)
    assert scaled_visualizer_cfg(cfg, None)['scale'] == 2.0
    with pytest.raises(ValueError, match="'TrackLocalVisualizer' has no "
                       'drawing scale'):
        scaled_visualizer_cfg(dict(type='TrackLocalVisualizer'), 2.0)
