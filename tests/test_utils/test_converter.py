import os.path as osp

import pytest

from mmseginst.utils.converter import (converter_main, load_into_config,
                                       save_converted)
from mmseginst.utils.checkpoint import safe_torch_load

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY = osp.join(REPO, 'tests/data/configs/mask-rcnn_tiny_shapes.py')


def test_load_into_config_strict_and_named_errors(tmp_path):
    model = load_into_config(_state_of_tiny(), TINY, 'official.pth')
    state = model.state_dict()
    dst = str(tmp_path / 'ours.pth')
    save_converted(state, dst, converted_from='official.pth')
    ckpt = safe_torch_load(dst)
    assert ckpt['meta'] == {'converted_from': 'official.pth'}
    assert set(ckpt['state_dict']) == set(state)
    state.pop(next(iter(state)))
    with pytest.raises(RuntimeError, match='official.pth does not fit .*'
                       'mask-rcnn_tiny_shapes.py; needs X'):
        load_into_config(state, TINY, 'official.pth', 'needs X')


def _state_of_tiny():
    from mmengine.config import Config

    from mmseginst.registry import MODELS
    from mmseginst.utils import register_all_modules
    register_all_modules()
    return MODELS.build(Config.fromfile(TINY).model).state_dict()


def test_converter_main_arguments(capsys):
    seen = []

    def convert(src, dst, config, trusted):
        seen.append((src, dst, config, trusted))
        return {'layout': 1}

    converter_main(convert, 'x', argv=['a.pth', 'b.pth', '--config', 'c.py',
                                       '--trust-checkpoint'])
    assert seen == [('a.pth', 'b.pth', 'c.py', True)]
    out = capsys.readouterr().out
    assert 'a.pth -> b.pth (strict load into c.py ok)' in out
    assert "{'layout': 1}" in out
    with pytest.raises(SystemExit):
        converter_main(convert, 'x', config_required=True,
                       argv=['a.pth', 'b.pth'])
