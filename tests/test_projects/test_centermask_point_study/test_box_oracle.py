"""projects/centermask_point_study/box_oracle.py on a CenterMask-Point
model whose heads are set by hand, and a run of the CLI."""
import json
import os.path as osp

import numpy as np
import pytest
import torch
from conftest import REPO, data_options, run_tool
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.config import Config
from mmengine.structures import InstanceData

from mmseginst.registry import MODELS
from mmseginst.utils import register_all_modules
from projects.centermask_point_study.box_oracle import (image_oracle,
                                                        mask_ious,
                                                        scale_boxes,
                                                        summarise)

CONFIG = osp.join(REPO, 'configs', 'centermask_point',
                  'centermask-point_r18-w32_dla-up_shapes.py')


def _set_last_conv(head, bias):
    conv = head[-1]
    torch.nn.init.zeros_(conv.weight)
    conv.bias.data[:] = torch.tensor(bias, dtype=torch.float32)


@pytest.fixture(scope='module')
def fixed_model():
    """The shapes config's model (input x2, stride-4 heads) predicting, at
    every cell, size 4 x 4 cells, offset 0 and masks of probability ~1."""
    register_all_modules()
    model = MODELS.build(Config.fromfile(CONFIG).model)
    model.eval()
    _set_last_conv(model.bbox_head.wh_head, [4.0, 4.0])
    _set_last_conv(model.bbox_head.offset_head, [0.0, 0.0])
    _set_last_conv(model.bbox_head.shape_head, 20.0)
    _set_last_conv(model.mask_head.saliency_head, 20.0)
    return model


def _square_image(x1, y1, x2, y2):
    """A 128x128 image (input 256x256) with one object filling the box."""
    mask = np.zeros((1, 128, 128), np.uint8)
    mask[0, y1:y2, x1:x2] = 1
    gt = InstanceData(bboxes=torch.tensor([[x1, y1, x2, y2]],
                                          dtype=torch.float32),
                      labels=torch.tensor([2]),
                      masks=BitmapMasks(mask, 128, 128))
    meta = dict(ori_shape=(128, 128), img_shape=(256, 256),
                batch_input_shape=(256, 256), pad_shape=(256, 256),
                scale_factor=(2.0, 2.0), img_path='square.png')
    return dict(inputs=torch.zeros(1, 3, 256, 256),
                data_samples=[DetDataSample(metainfo=meta, gt_instances=gt)])


def test_masks_follow_each_kind_of_box(fixed_model):
    # object 8..24 px -> 16..48 input px -> cells 4..12, center cell (8, 8);
    # the predicted box is 4 x 4 cells about cell corner (8, 8): 12..20 px
    ious, box_iou = image_oracle(fixed_model, _square_image(8, 8, 24, 24),
                                 expand=(2.0, ))
    np.testing.assert_allclose(ious['gt box'], [1.0])
    np.testing.assert_allclose(ious['predicted box'], [64 / 256])
    np.testing.assert_allclose(ious['gt center, predicted size'], [64 / 256])
    np.testing.assert_allclose(ious['predicted box x 2'], [1.0])
    np.testing.assert_allclose(box_iou, [0.25], rtol=1e-6)


def test_gt_center_differs_from_predicted_center(fixed_model):
    # object 10..17 px -> input 20..34 -> cells 5..8.5, center cell 6.75:
    # the predicted box is centred on the cell corner 6 (offset 0), cells
    # 4..8 = 8..16 px; the gt-center box spans cells 4.75..8.75, snapped to
    # 5..9 = 10..18 px; the gt box is snapped to cells 5..8 = 10..16 px
    ious, _ = image_oracle(fixed_model, _square_image(10, 10, 17, 17))
    np.testing.assert_allclose(ious['predicted box'],
                               [36 / (64 + 49 - 36)])
    np.testing.assert_allclose(ious['gt center, predicted size'], [49 / 64])
    np.testing.assert_allclose(ious['gt box'], [36 / 49])


def test_masks_in_the_input_frame_are_refused(fixed_model):
    data = _square_image(8, 8, 24, 24)
    gt = data['data_samples'][0].gt_instances
    gt.masks = BitmapMasks(np.zeros((1, 256, 256), np.uint8), 256, 256)
    with pytest.raises(ValueError, match='square.png.*after Resize'):
        image_oracle(fixed_model, data)


def test_helpers_by_hand():
    boxes = torch.tensor([[0., 0., 4., 2.]])
    assert scale_boxes(boxes, 1.5).tolist() == [[-1., -0.5, 5., 2.5]]
    a = torch.zeros(2, 3, 3, dtype=torch.bool)
    b = torch.zeros(2, 3, 3, dtype=torch.bool)
    a[0, :2] = True  # 6 pixels
    b[0, 1:] = True  # 6 pixels, 3 shared
    assert mask_ious(a, b).tolist() == [pytest.approx(3 / 9), 0.0]
    s = summarise({'gt box': [np.array([0.8, 0.4]), np.array([0.6])]},
                  [np.array([0.95, 0.5]), np.array([0.8])])
    assert s['objects'] == 3
    assert s['box_iou']['mean'] == pytest.approx(0.75)
    assert s['box_iou']['at_075'] == pytest.approx(2 / 3)
    assert s['box_iou']['at_09'] == pytest.approx(1 / 3)
    assert s['mask_iou']['gt box'] == pytest.approx(
        dict(mean=0.6, at_075=1 / 3, at_05=2 / 3))


def test_cli(tiny_shapes, tmp_path):
    register_all_modules()
    model = MODELS.build(Config.fromfile(CONFIG).model)
    ckpt = tmp_path / 'cmp.pth'
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    out = tmp_path / 'oracle.json'
    proc = run_tool(['projects/centermask_point_study/box_oracle.py', CONFIG,
                     str(ckpt),
                     '--expand', '1.2', '--json', str(out), '--cfg-options',
                     *data_options(tiny_shapes)[2:3]])
    assert 'gt center, predicted size' in proc.stdout
    summary = json.loads(out.read_text())
    assert summary['objects'] > 0
    assert set(summary['mask_iou']) == {
        'gt box', 'predicted box', 'gt center, predicted size',
        'predicted box x 1.2'
    }
