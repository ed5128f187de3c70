"""tools/analysis_tools/confusion_matrix.py: a hand-made case and a run on
the tiny shapes set."""
import json
import os.path as osp
import re

import cv2
import numpy as np
import pytest

from conftest import TINY_CONFIG, data_options, run_tool
from handmade_results import CLASSES, EXPECTED_MATRIX, write_handmade


@pytest.mark.parametrize('iou_type', ['bbox', 'segm'])
def test_hand_made_counts(tmp_path, iou_type):
    config = write_handmade(str(tmp_path))
    out = str(tmp_path / 'cm')
    proc = run_tool(['tools/analysis_tools/confusion_matrix.py', config,
                     str(tmp_path / 'results.pkl'), out, '--iou-type',
                     iou_type])
    with open(osp.join(out, 'confusion_matrix.json')) as f:
        saved = json.load(f)
    assert saved['labels'] == list(CLASSES) + ['background']
    assert saved['matrix'] == EXPECTED_MATRIX
    assert re.search(r'^ +b +1 +1 +0 +1$', proc.stdout, re.M)
    picture = cv2.imread(osp.join(out, 'confusion_matrix.png'))
    # the A-row cells: 50% / 0 / 0 / 50% are two colours, not one
    assert picture is not None and picture.std() > 20


def test_tiny_shapes_run(tiny_run, tiny_shapes, tmp_path):
    out = str(tmp_path / 'cm')
    run_tool(['tools/analysis_tools/confusion_matrix.py', TINY_CONFIG,
              osp.join(tiny_run, 'results.pkl'), out, '--score-thr', '0.05',
              '--iou-type', 'segm', '--cfg-options',
              *data_options(tiny_shapes)])
    with open(osp.join(out, 'confusion_matrix.json')) as f:
        matrix = np.array(json.load(f)['matrix'])
    with open(osp.join(tiny_shapes, 'annotations',
                       'instances_val.json')) as f:
        val = json.load(f)
    counts = np.bincount([a['category_id'] - 1 for a in val['annotations']],
                         minlength=4)
    # every object adds at least one to its row, at most one to its
    # background column
    assert matrix.shape == (5, 5)
    assert (matrix[:4].sum(1) >= counts).all()
    assert (matrix[:4, 4] <= counts).all()
    assert cv2.imread(osp.join(out, 'confusion_matrix.png')) is not None
