"""tools/analysis_tools/peak_recall.py on hand-made heatmaps and boxes, and
a run of the CLI."""
import json
import os.path as osp

import numpy as np
import pytest
import torch
from conftest import REPO, data_options, run_tool
from mmengine.config import Config

from mmseginst.registry import MODELS
from mmseginst.utils import register_all_modules
from tools.analysis_tools.peak_recall import (CAUSES, box_regions,
                                              object_causes, object_peaks,
                                              summarise)

CONFIG = osp.join(REPO, 'configs', 'centermask_point',
                  'centermask-point_r18-w32_dla-up_shapes.py')
STRIDE = (4.0, 4.0)


def _maps(peaks, num_classes=2, size=8, wh=(2.0, 2.0), offset=(0.5, 0.5)):
    """Heatmap with the given (class, x, y, score) peaks; constant size and
    offset maps."""
    heat = torch.zeros(num_classes, size, size)
    for c, x, y, s in peaks:
        heat[c, y, x] = s
    wh_map = torch.tensor(wh).view(2, 1, 1).expand(2, size, size)
    off_map = torch.tensor(offset).view(2, 1, 1).expand(2, size, size)
    return heat, wh_map, off_map


def test_box_regions_hold_cell_centres_and_the_centre_cell():
    # box 4..12 x 8..16 px: cell centres 6, 10 (x) and 10, 14 (y) inside;
    # a 1-px box holds no cell centre, only its centre cell (0, 0)
    regions = box_regions(torch.tensor([[4., 8., 12., 16.], [1., 1., 2., 2.]]),
                          STRIDE, (8, 8))
    assert regions[0].nonzero().tolist() == [[2, 1], [2, 2], [3, 1], [3, 2]]
    assert regions[1].nonzero().tolist() == [[0, 0]]


def test_peaks_scores_topk_and_decoded_boxes():
    # object 0 (class 0, box 4..16): a peak 0.9 at cell (2, 2);
    # object 1 (class 1, box 20..32 x 0..12): only a class-0 peak 0.3 at
    # (6, 1), and a weaker class-1 peak 0.2 next to it at (5, 1)
    heat, wh, off = _maps([(0, 2, 2, 0.9), (0, 6, 1, 0.3), (1, 5, 1, 0.2)])
    boxes = torch.tensor([[4., 4., 16., 16.], [20., 0., 32., 12.]])
    labels = torch.tensor([0, 1])
    out = object_peaks(heat, wh, off, boxes, labels, STRIDE, topk=3)
    assert out['score'].tolist() == pytest.approx([0.9, 0.2])
    assert out['score_any_class'].tolist() == pytest.approx([0.9, 0.3])
    assert out['in_topk'].tolist() == [True, True]
    assert out['shared'].tolist() == [False, False]
    # peak (2, 2) + offset 0.5 -> centre 2.5 cells = 10 px, size 2 cells =
    # 8 px: box 6..14 inside the 12-px gt box 4..16: IoU 64 / 144
    assert out['box_iou'][0].item() == pytest.approx(64 / 144)
    assert out['log_w'][0].item() == pytest.approx(np.log(8 / 12))
    # top-2: the class-1 peak (0.2) is third of the image
    out = object_peaks(heat, wh, off, boxes, labels, STRIDE, topk=2)
    assert out['in_topk'].tolist() == [True, False]


def test_touching_objects_sharing_one_peak():
    # two objects of class 0 side by side, one peak on their common edge
    heat, wh, off = _maps([(0, 3, 2, 0.8)])
    boxes = torch.tensor([[4., 4., 14., 16.], [14., 4., 24., 16.]])
    out = object_peaks(heat, wh, off, boxes, torch.tensor([0, 0]), STRIDE)
    assert out['score'].tolist() == pytest.approx([0.8, 0.8])
    assert out['shared'].tolist() == [True, True]
    # a 3x3 local maximum: a lower peak in the next cell is no peak
    heat, wh, off = _maps([(0, 2, 2, 0.8), (0, 3, 2, 0.7)])
    out = object_peaks(heat, wh, off, boxes, torch.tensor([0, 0]), STRIDE)
    assert out['score'].tolist() == pytest.approx([0.8, 0.0])
    assert out['in_topk'].tolist() == [True, False]


def test_causes_by_hand():
    boxes = torch.tensor([
        [8., 8., 16., 16.],  # centre cell (3, 3)
        [9., 9., 17., 17.],  # centre cell (3, 3), same class: same cell
        [16., 8., 24., 16.],  # centre cell (5, 3), two cells away
        [0., 20., 6., 30.],  # touches the left border; 1.5 cells wide
        [22., 22., 30., 30.],  # other class; 2 px from the bottom
    ])
    labels = torch.tensor([0, 0, 0, 0, 1])
    causes = object_causes(boxes, labels, STRIDE, (8, 8), (0., 0., 32., 32.),
                           min_overlap=0.3, kernel=3, border=1.0)
    assert set(causes) == set(CAUSES)
    assert causes['same cell'].tolist() == [True, True, False, False, False]
    # (5, 3) is 2 cells from (3, 3): outside a 3x3 window, inside a 5x5 one
    assert causes['adjacent'].tolist() == [False] * 5
    wide = object_causes(boxes, labels, STRIDE, (8, 8), (0., 0., 32., 32.),
                         min_overlap=0.3, kernel=5)
    assert wide['adjacent'].tolist() == [True, True, True, False, False]
    assert causes['border'].tolist() == [False, False, False, True, False]
    assert causes['small'].tolist() == [False, False, False, True, False]
    # 10 x 10-cell objects whose centres are 2 cells apart: Gaussian
    # radius int(2.26) = 2 with min_overlap 0.3 (mmdet's formula), 0 with 0.7
    big = torch.tensor([[0., 0., 40., 40.], [8., 0., 48., 40.]])
    near = [
        object_causes(big, torch.tensor([0, 0]), STRIDE, (16, 16),
                      (0., 0., 64., 64.), min_overlap=m)
        ["in another's Gaussian"].tolist() for m in (0.3, 0.7)
    ]
    assert near == [[True, True], [False, False]]


def test_summarise_counts():
    rec = dict(score=np.array([0.9, 0.05, 0.5, 0.0]),
               in_topk=np.array([True, True, False, False]),
               score_any_class=np.array([0.9, 0.6, 0.5, 0.0]),
               shared=np.array([True, False, False, False]),
               box_iou=np.array([0.8, 0.1, 0.3, 0.0]),
               log_w=np.array([0.1, 0.0, 0.0, 0.0]),
               log_h=np.array([-0.1, 0.0, 0.0, 0.0]),
               long_side_cells=np.array([4., 10., 40., 100.]))
    rec['found'] = rec['in_topk'] & (rec['score'] >= 0.1)
    for c in CAUSES:
        rec[c] = np.array([True, False, True, False])
    s = summarise([rec], 0.1)
    assert (s['objects'], s['found'], s['found_any_class']) == (4, 1, 2)
    assert s['shared'] == 1 and s['in_topk_below_thr'] == 1
    assert s['outside_topk'] == 1
    assert s['box_iou_found'] == dict(mean=pytest.approx(0.8), at_05=1.0,
                                      at_075=1.0)
    assert s['causes']['border'] == dict(objects=2, found=1)
    assert [b['objects'] for b in s['sizes']] == [1, 1, 0, 1, 1]
    assert s['sizes'][0]['log_h'] == pytest.approx(-0.1)
    assert summarise([], 0.1) == dict(objects=0, score_thr=0.1, found=0)


def test_cli(tiny_shapes, tmp_path):
    register_all_modules()
    model = MODELS.build(Config.fromfile(CONFIG).model)
    ckpt = tmp_path / 'cmp.pth'
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    out = tmp_path / 'recall.json'
    proc = run_tool(['tools/analysis_tools/peak_recall.py', CONFIG,
                     str(ckpt), '--json', str(out), '--cfg-options',
                     *data_options(tiny_shapes)[2:3]])
    assert 'same cell' in proc.stdout and 'long side' in proc.stdout
    summary = json.loads(out.read_text())
    assert summary['objects'] > 0
    assert 0 <= summary['found'] <= summary['objects']
    assert set(summary['causes']) == set(CAUSES)
    mrcnn = osp.join(REPO, 'configs', 'mask_rcnn',
                     'mask-rcnn_r18-w32_fpn_shapes.py')
    bad = run_tool(['tools/analysis_tools/peak_recall.py', mrcnn, str(ckpt)],
                   check=False)
    assert bad.returncode != 0 and 'not a CenterMask-Point' in bad.stderr
