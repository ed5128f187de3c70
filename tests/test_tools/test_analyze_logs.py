"""tools/analysis_tools/analyze_logs.py on a real and a hand-made log."""
import glob
import json
import os.path as osp

import cv2
import numpy as np
import pytest

from tools.analysis_tools.analyze_logs import curve, main

# matplotlib's first two line colours (BGR, as cv2 reads them)
C0, C1 = (180, 119, 31), (14, 127, 255)


def _log(work):
    (path, ) = glob.glob(osp.join(work, '*', 'vis_data', 'scalars.json'))
    return path


def _count(picture, bgr):
    return int((np.abs(picture.astype(int) - bgr).sum(-1) < 30).sum())


def test_plot_curve_of_a_training_run(tiny_run, tmp_path, capsys):
    log = _log(tiny_run)
    xs, ys, label = curve(log, 'segm_mAP')
    # evaluated after iterations 2 and 4 (the log says step 0 for both)
    assert xs.tolist() == [2, 4] and label == 'iter'
    with open(log) as f:
        losses = [e['loss'] for e in map(json.loads, f) if 'lr' in e]
    xs, ys, _ = curve(log, 'loss')
    assert xs.tolist() == [1, 2, 3, 4] and ys.tolist() == losses

    out = str(tmp_path / 'curve.png')
    main(['plot_curve', log, '--keys', 'loss', 'loss_mask', '--legend',
          'loss', 'mask', '--title', 'tiny', '--out', out])
    picture = cv2.imread(out)
    assert picture.shape == (500, 800, 3)
    # both curves are drawn in their colours
    assert _count(picture, C0) > 100 and _count(picture, C1) > 100
    with pytest.raises(KeyError, match=r"scalars\.json has no key 'nope'; "
                       r"it logs \[.*'coco/segm_mAP'.*'loss'"):
        main(['plot_curve', log, '--keys', 'nope', '--out', out])


def test_cal_train_time_of_a_training_run(tiny_run, capsys):
    log = _log(tiny_run)
    with open(log) as f:
        times = [e['time'] for e in map(json.loads, f) if 'lr' in e]
    main(['cal_train_time', log])
    assert (f'average iter time: {np.mean(times[1:]):.4f} s/iter '
            '(3 iterations)') in capsys.readouterr().out
    main(['cal_train_time', log, '--include-outliers'])
    assert f'{np.mean(times):.4f} s/iter (4 iterations)' in \
        capsys.readouterr().out


def test_epoch_based_log(tmp_path, capsys):
    lines = [dict(lr=0.1, epoch=1, iter=i, step=i, time=t, loss=5 - i)
             for i, t in zip((1, 2, 3), (9., 1., 3.))]
    lines.append({'coco/bbox_mAP': 0.2, 'step': 1})
    lines += [dict(lr=0.1, epoch=2, iter=i, step=i, time=t, loss=5 - i)
              for i, t in zip((4, 5, 6), (9., 5., 7.))]
    lines.append({'coco/bbox_mAP': 0.3, 'step': 2})
    log = tmp_path / 'run.json'
    log.write_text('\n'.join(json.dumps(x) for x in lines) + '\n')
    xs, ys, label = curve(str(log), 'bbox_mAP')
    assert (xs.tolist(), ys.tolist(), label) == ([1, 2], [0.2, 0.3],
                                                 'epoch')
    main(['cal_train_time', str(log)])
    out = capsys.readouterr().out
    # without the first time of each epoch: epoch 1 (1 + 3) / 2, epoch 2
    # (5 + 7) / 2
    assert 'slowest epoch 2, average time is 6.0000' in out
    assert 'fastest epoch 1, average time is 2.0000' in out
    assert 'time std over epochs is 2.0000' in out
    assert 'average iter time: 4.0000 s/iter (4 iterations)' in out
    (tmp_path / 'bad.json').write_text('{"lr": 1}\nnot json\n')
    with pytest.raises(ValueError, match=r'bad\.json, line 2: not JSON'):
        main(['cal_train_time', str(tmp_path / 'bad.json')])
