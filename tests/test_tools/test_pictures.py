"""Pictures of tools/test.py --show-dir and of the demo are drawn enlarged
(--scale, or a short side of at least 512 px by default)."""
import glob
import os.path as osp

import cv2

from conftest import TINY_CONFIG, run_tool


def test_show_dir_pictures_follow_scale(tiny_run):
    pictures = glob.glob(osp.join(tiny_run, '*', 'vis', '*.png'))
    assert len(pictures) == 6
    for path in pictures:
        # 64x64 images at --scale 6, ground truth | prediction
        assert cv2.imread(path).shape == (384, 768, 3)


def test_demo_pictures_are_enlarged(tiny_run, tiny_shapes, tmp_path):
    image = osp.join(tiny_shapes, 'val', '000001.png')
    out = tmp_path / 'demo'
    run_tool(['demo/image_demo.py', image, TINY_CONFIG, '--weights',
              osp.join(tiny_run, 'iter_4.pth'), '--out-dir', str(out),
              '--pred-score-thr', '0.0'])
    assert cv2.imread(str(out / 'vis' / '000001.png')).shape == (512, 512, 3)
    run_tool(['demo/image_demo.py', image, TINY_CONFIG, '--weights',
              osp.join(tiny_run, 'iter_4.pth'), '--out-dir', str(out),
              '--scale', '1.5', '--no-save-pred'])
    assert cv2.imread(str(out / 'vis' / '000001.png')).shape == (96, 96, 3)
