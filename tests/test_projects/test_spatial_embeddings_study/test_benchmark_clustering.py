"""projects/spatial_embeddings_study/benchmark_clustering.py: the synthetic
outputs it clusters, and a small run of the CLI (its timings are not
checked: speed is what the script measures, not what tests assert)."""
import json

import torch
from conftest import run_tool

from projects.spatial_embeddings_study.benchmark_clustering import \
    synthetic_outputs


def test_synthetic_outputs_are_raw_head_channels():
    pitch = (2 / 2047, 1 / 1023)
    pred = synthetic_outputs(200, 320, 3, 0, pitch)
    assert pred.shape == (1, 4, 200, 320) and pred.dtype == torch.float32
    assert torch.isfinite(pred).all()
    # channel 3 is a seed logit: the background draws seeds in [0, 0.52),
    # the objects up to 0.98 in their middle
    seed = torch.sigmoid(pred[0, 3])
    assert (seed > 0.9).any()
    background = torch.sigmoid(synthetic_outputs(200, 320, 0, 0, pitch)[0, 3])
    assert background.max() < 0.52 + 1e-4 and (background < 0.5).any()
    # the same seed draws the same outputs
    assert torch.equal(pred, synthetic_outputs(200, 320, 3, 0, pitch))


def test_cli_reports_identical_plain_and_fast(tmp_path):
    out = tmp_path / 'clustering.json'
    proc = run_tool([
        'projects/spatial_embeddings_study/benchmark_clustering.py',
        '--shape', '200', '320', '--instances', '3', '--repeat', '1',
        '--no-network', '--threads', '1', '--json', str(out)
    ])
    report = json.loads(out.read_text())
    assert report['identical'] is True
    assert report['shape'] == [200, 320] and report['instances_found'] > 0
    assert report['plain_ms'] > 0 and report['fast_ms'] > 0
    assert 'identical output: True' in proc.stdout
