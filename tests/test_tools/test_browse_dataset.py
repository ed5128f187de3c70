"""tools/analysis_tools/browse_dataset.py draws the ground truth after the
pipeline, enlarged."""
import os
import os.path as osp

import cv2
import numpy as np
from pycocotools.coco import COCO

from conftest import TINY_CONFIG, data_options, run_tool


def test_ground_truth_pictures(tiny_shapes, tmp_path):
    out = str(tmp_path / 'browse')
    run_tool(['tools/analysis_tools/browse_dataset.py', TINY_CONFIG,
              '--not-show', '--output-dir', out, '--phase', 'val',
              '--max-images', '2', '--cfg-options',
              *data_options(tiny_shapes)])
    assert sorted(os.listdir(out)) == ['000000.png', '000001.png']
    coco = COCO(osp.join(tiny_shapes, 'annotations', 'instances_val.json'))
    for name in sorted(os.listdir(out)):
        picture = cv2.imread(osp.join(out, name)).astype(int)
        assert picture.shape == (512, 512, 3)  # 64x64 drawn 8x
        image = cv2.imread(osp.join(tiny_shapes, 'val', name))
        plain = cv2.resize(image, (512, 512),
                           interpolation=cv2.INTER_LINEAR).astype(int)
        (img, ) = [i for i in coco.dataset['images']
                   if i['file_name'] == name]
        anns = coco.loadAnns(coco.getAnnIds(imgIds=img['id']))
        inside = np.zeros((64, 64), bool)
        near = np.zeros((512, 512), bool)
        for a in anns:
            inside |= coco.annToMask(a).astype(bool)
            x, y, w, h = (int(v * 8) for v in a['bbox'])
            near[max(0, y - 40):y + h + 24, max(0, x - 24):x + w + 24] = True
        inside = inside.repeat(8, 0).repeat(8, 1)
        diff = np.abs(picture - plain).sum(-1)
        assert diff[inside].mean() > 30  # masks painted over the objects
        if (~near).any():  # the background is drawn as it is
            assert diff[~near].mean() < 3


def test_scale_option(tiny_shapes, tmp_path):
    out = str(tmp_path / 'browse')
    run_tool(['tools/analysis_tools/browse_dataset.py', TINY_CONFIG,
              '--not-show', '--output-dir', out, '--max-images', '1',
              '--scale', '2', '--cfg-options', *data_options(tiny_shapes)])
    (name, ) = os.listdir(out)
    assert cv2.imread(osp.join(out, name)).shape == (128, 128, 3)
