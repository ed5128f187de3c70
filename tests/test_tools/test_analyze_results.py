"""tools/analysis_tools/analyze_results.py: per-image AP of a hand-made
case, and the pictures of the best and worst images."""
import json
import os
import os.path as osp

import cv2
import pytest

from conftest import TINY_CONFIG, data_options, run_tool
from handmade_results import EXPECTED_AP, write_handmade


@pytest.mark.parametrize('metric', ['segm', 'bbox'])
def test_hand_made_ranking(tmp_path, metric):
    config = write_handmade(str(tmp_path))
    out = str(tmp_path / 'show')
    run_tool(['tools/analysis_tools/analyze_results.py', config,
              str(tmp_path / 'results.pkl'), out, '--topk', '1',
              '--metric', metric])
    with open(osp.join(out, 'per_image_ap.json')) as f:
        saved = json.load(f)
    assert saved['ap'] == pytest.approx(
        {str(k): v for k, v in EXPECTED_AP.items()})
    assert os.listdir(osp.join(out, 'good')) == ['001_1.000.png']
    assert os.listdir(osp.join(out, 'bad')) == ['003_0.000.png']
    # 32x32 drawn at 512x512 (ground truth | prediction)
    picture = cv2.imread(osp.join(out, 'good', '001_1.000.png'))
    assert picture.shape == (512, 1024, 3)


def test_tiny_shapes_run(tiny_run, tiny_shapes, tmp_path):
    out = str(tmp_path / 'show')
    run_tool(['tools/analysis_tools/analyze_results.py', TINY_CONFIG,
              osp.join(tiny_run, 'results.pkl'), out, '--topk', '2',
              '--scale', '3', '--cfg-options', *data_options(tiny_shapes)])
    with open(osp.join(out, 'per_image_ap.json')) as f:
        ap = json.load(f)['ap']
    assert len(ap) == 6 and all(0 <= v <= 1 for v in ap.values())
    for folder in ('good', 'bad'):
        names = sorted(os.listdir(osp.join(out, folder)))
        assert len(names) == 2
        picture = cv2.imread(osp.join(out, folder, names[0]))
        assert picture.shape == (192, 384, 3)  # 64x64 at --scale 3
