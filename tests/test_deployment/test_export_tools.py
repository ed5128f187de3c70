"""tools/deployment/export_onnx.py (--verify), onnx_test.py and
ap_equivalence.py on the tiny Mask R-CNN checkpoint.

The export runs once as a command line (the tool as users call it); the
other tools run in this process through their ``main(argv)``, which spares
a Python, torch and mmdet start-up per tool."""
import os.path as osp
import sys

import pytest

from conftest import REPO, TINY_CONFIG, data_options, run_tool

sys.path.insert(0, osp.join(REPO, 'tools', 'deployment'))
import ap_equivalence  # noqa: E402
import export_onnx  # noqa: E402
import onnx_test  # noqa: E402


def test_export_verify_and_evaluate(tiny_shapes, tiny_checkpoint, tmp_path,
                                    capsys):
    onnx_file = str(tmp_path / 'tiny.onnx')
    opts = ['--cfg-options', *data_options(tiny_shapes)]
    proc = run_tool(['tools/deployment/export_onnx.py', TINY_CONFIG,
                     tiny_checkpoint, '--out', onnx_file, '--shape', '64',
                     '64', '--verify', *opts])
    assert osp.isfile(onnx_file)
    assert 'exported MaskRCNN' in proc.stdout
    lines = dict(line.strip().split(': ', 1)
                 for line in proc.stdout.splitlines() if ': ' in line
                 and line.startswith('  '))
    assert lines['num_ref'] == lines['num_test']
    assert lines['equivalent'] == 'True'
    onnx_test.main([TINY_CONFIG, onnx_file, '--threads', '1', *opts])
    out = capsys.readouterr().out
    assert 'coco/segm_mAP:' in out
    assert 'coco/bbox_mAP:' in out


def test_export_checkpoint_of_another_model(tiny_checkpoint, tmp_path):
    config = osp.join(REPO, 'configs/embedmask/embedmask_r18-w32_fpn_shapes.py')
    with pytest.raises(ValueError, match='does not match the model of') as err:
        export_onnx.main([config, tiny_checkpoint, '--out',
                          str(tmp_path / 'x.onnx'), '--shape', '64', '64'])
    assert config in str(err.value) and 'EmbedMask' in str(err.value)
    assert not osp.exists(tmp_path / 'x.onnx')


def test_ap_equivalence_table(tiny_shapes, tiny_checkpoint, tmp_path,
                              capsys):
    ap_equivalence.main([f'{TINY_CONFIG}:{tiny_checkpoint}', '--work-dir',
                         str(tmp_path), '--threads', '1', '--cfg-options',
                         *data_options(tiny_shapes)])
    row = [line for line in capsys.readouterr().out.splitlines()
           if line.startswith('| mask-rcnn_tiny_shapes.py')]
    assert len(row) == 1
    cells = [c.strip() for c in row[0].strip('|').split('|')]
    assert int(cells[2]) > 0  # paired detections
    assert cells[4] == '0' and cells[8] == '0'  # unexplained, masks off
    torch_ap, onnx_ap = cells[10].split(' / ')
    assert abs(float(torch_ap) - float(onnx_ap)) <= 1e-3
