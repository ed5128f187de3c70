"""tools/deployment/export_onnx.py (--verify), onnx_test.py and
ap_equivalence.py on the tiny Mask R-CNN checkpoint."""
import os.path as osp

from conftest import TINY_CONFIG, data_options, run_tool


def test_export_verify_and_evaluate(tiny_shapes, tiny_checkpoint, tmp_path):
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
    assert lines['same_labels'] == 'True'
    proc = run_tool(['tools/deployment/onnx_test.py', TINY_CONFIG,
                     onnx_file, '--threads', '1', *opts])
    assert 'coco/segm_mAP:' in proc.stdout
    assert 'coco/bbox_mAP:' in proc.stdout


def test_export_checkpoint_of_another_model(tiny_shapes, tiny_checkpoint,
                                            tmp_path):
    config = 'configs/embedmask/embedmask_r18-w32_fpn_shapes.py'
    proc = run_tool(['tools/deployment/export_onnx.py', config,
                     tiny_checkpoint, '--out', str(tmp_path / 'x.onnx'),
                     '--shape', '64', '64'], check=False)
    assert proc.returncode != 0
    assert 'does not match the model of' in proc.stderr
    assert config in proc.stderr and 'EmbedMask' in proc.stderr
    assert not osp.exists(tmp_path / 'x.onnx')


def test_ap_equivalence_table(tiny_shapes, tiny_checkpoint, tmp_path):
    proc = run_tool(['tools/deployment/ap_equivalence.py',
                     f'{TINY_CONFIG}:{tiny_checkpoint}', '--work-dir',
                     str(tmp_path), '--threads', '1', '--cfg-options',
                     *data_options(tiny_shapes)])
    row = [line for line in proc.stdout.splitlines()
           if line.startswith('| mask-rcnn_tiny_shapes.py')]
    assert len(row) == 1
    cells = [c.strip() for c in row[0].strip('|').split('|')]
    assert cells[2] == '0' and cells[5] == 'True'  # counts and labels agree
    torch_ap, onnx_ap = cells[8].split(' / ')
    assert abs(float(torch_ap) - float(onnx_ap)) <= 1e-3
