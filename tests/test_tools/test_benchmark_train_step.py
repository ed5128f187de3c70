"""tools/analysis_tools/benchmark_train_step.py: what each mode builds, and
a CLI run on the tiny shapes config (the timings themselves are not
checked: speed is measured by the script, not by tests)."""
import json

import torch
from conftest import REPO, TINY_CONFIG, data_options, run_tool
from mmengine.config import Config

from mmseginst.utils import register_all_modules
from tools.analysis_tools.benchmark_train_step import build


def _tiny_cfg(root):
    cfg = Config.fromfile(TINY_CONFIG)
    cfg.merge_from_dict(dict(o.split('=', 1) for o in data_options(root)))
    return cfg


def test_modes_set_autocast_and_memory_format(tiny_shapes, tmp_path):
    register_all_modules()
    cfg = _tiny_cfg(tiny_shapes)
    for mode, bf16, cl in [('fp32', False, False), ('bf16-cl', True, True)]:
        _, model, wrapper = build(cfg, mode, str(tmp_path / mode))
        assert type(wrapper).__name__ == 'CPUAutocastOptimWrapper'
        assert wrapper.enabled is bf16
        w = model.backbone.conv1.weight
        assert w.is_contiguous(memory_format=torch.channels_last) is cl or \
            not cl and w.is_contiguous()


def test_cli_prints_and_writes_every_mode(tiny_shapes, tmp_path):
    """CenterMask-Point's shapes config (no mmcv op in training: bfloat16
    runs through) on the tiny set, batch 2."""
    out = tmp_path / 'rows.json'
    config = f'{REPO}/configs/centermask_point/' \
        'centermask-point_r18-w32_dla-up_shapes.py'
    proc = run_tool([
        'tools/analysis_tools/benchmark_train_step.py', config, '--modes',
        'fp32', 'bf16-cl', '--iters', '2', '--warmup', '1', '--threads', '1',
        '--json', str(out), '--cfg-options', 'train_dataloader.batch_size=2'
    ] + data_options(tiny_shapes))
    rows = json.loads(out.read_text())
    assert [r['mode'] for r in rows] == ['fp32', 'bf16-cl']
    assert rows[0]['speedup'] == 1.0
    assert all(r['median_s'] > 0 and r['iqr_s'] >= 0 for r in rows)
    assert 'bf16-cl' in proc.stdout and 'speed-up' in proc.stdout
