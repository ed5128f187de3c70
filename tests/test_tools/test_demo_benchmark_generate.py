"""The demo, benchmark and dataset-generation command lines."""
import glob
import json
import os.path as osp

from conftest import REPO, TINY_CONFIG, run_tool


def test_image_demo_draws_predictions(tiny_shapes, tiny_checkpoint,
                                      tmp_path):
    image = osp.join(tiny_shapes, 'val', '000001.png')
    out = tmp_path / 'demo'
    run_tool(['demo/image_demo.py', image, TINY_CONFIG, '--weights',
              tiny_checkpoint, '--out-dir', str(out),
              '--pred-score-thr', '0.0'])
    assert (out / 'vis' / '000001.png').is_file()
    pred = json.load(open(out / 'preds' / '000001.json'))
    assert set(pred) >= {'labels', 'scores', 'bboxes'}


def test_benchmark_reports_all_fields(tmp_path):
    out = tmp_path / 'bench.json'
    proc = run_tool([
        'tools/analysis_tools/benchmark.py', TINY_CONFIG, TINY_CONFIG,
        '--shape', '64', '96', '--repeat', '3', '--warmup', '1',
        '--threads', '1', '--num-dets', '5', '--json', str(out)
    ])
    assert 'threads 1' in proc.stdout
    report = json.load(open(out))
    assert report['threads'] == 1 and report['shape'] == [64, 96]
    first, second = report['results']
    assert first['ratio'] == 1.0 and second['ratio'] > 0
    for r in report['results']:
        assert r['params'] > 1000
        assert r['flops'] is None or r['flops'] > 0
        lat, parts = r['latency_ms'], r['breakdown_ms']
        assert 0 < lat['min'] <= lat['median'] <= lat['max']
        assert parts['backbone_neck'] > 0 and parts['heads'] > 0
        assert parts['postprocess'] >= 0
        # the three parts add up to the (median) total, up to noise
        total = sum(parts.values())
        assert 0.5 * lat['median'] < total < 2 * lat['median']
        assert r['num_dets'] <= 5


def test_benchmark_flops_by_module(tmp_path):
    out = tmp_path / 'bench.json'
    proc = run_tool([
        'tools/analysis_tools/benchmark.py', TINY_CONFIG, '--shape', '64',
        '96', '--repeat', '1', '--warmup', '0', '--threads', '1',
        '--flops-depth', '1', '--json', str(out)
    ])
    r = json.load(open(out))['results'][0]
    by_module = r['flops_by_module']
    # depth 1: the detector's direct children, which account for every
    # counted FLOP (the detector itself has no parameters of its own)
    assert set(by_module) >= {'backbone', 'neck', 'rpn_head', 'roi_head'}
    assert all('.' not in name for name in by_module)
    assert abs(sum(by_module.values()) - r['flops']) <= 1e-6 * r['flops']
    assert 'GFLOPs by module' in proc.stdout


def test_generate_shapes_cli(tmp_path):
    out = tmp_path / 'shapes'
    run_tool(['tools/misc/generate_shapes.py', '--out', str(out),
              '--num-train', '3', '--num-val', '2', '--size', '48', '64'])
    train = json.load(open(out / 'annotations' / 'instances_train.json'))
    assert len(train['images']) == 3
    assert train['images'][0]['height'] == 48
    assert train['images'][0]['width'] == 64
    assert len(glob.glob(str(out / 'val' / '*.png'))) == 2


def test_amp_without_gpu_is_a_clear_error(tiny_shapes, tmp_path):
    proc = run_tool(['tools/train.py', TINY_CONFIG, '--amp', '--work-dir',
                     str(tmp_path / 'w')], check=False)
    assert proc.returncode != 0 and '--amp needs a CUDA device' in \
        proc.stderr
