"""Result pickles are read with a data-only allowlist."""
import io
import pickle

import numpy as np
import pytest
import torch
from mmengine.fileio import dump

from conftest import TINY_CONFIG, data_options, run_tool
from mmseginst.utils.safe_pickle import (UntrustedPickleError,
                                         load_results_pickle)
from test_checkpoint import Exploit


def assert_same(a, b):
    """Equal nested data, tensors and arrays compared by value and type."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, torch.Tensor):
        assert a.dtype == b.dtype and torch.equal(a, b)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    else:
        assert a == b


def results_like_test_out():
    """What DumpDetResults writes: per image a dict of metainfo and
    ``pred_instances`` with tensors and RLE masks (bytes counts)."""
    return [{
        'img_id': 3, 'img_path': 'val/000003.png', 'ori_shape': (64, 64),
        'scale_factor': (1.0, 1.0), 'flip': False,
        'homography_matrix': np.eye(3, dtype=np.float32),
        'score': np.float64(0.5),
        'pred_instances': {
            'bboxes': torch.rand(2, 4), 'scores': torch.rand(2),
            'labels': torch.tensor([0, 3]),
            'masks': [{'size': [64, 64], 'counts': b'PPYo0'}] * 2,
        },
    }]


@pytest.mark.parametrize('writer', ['mmengine', 'pickle4'])
def test_results_round_trip(writer, tmp_path):
    path = tmp_path / 'results.pkl'
    results = results_like_test_out()
    if writer == 'mmengine':  # protocol 2, what tools/test.py --out uses
        dump(results, str(path))
    else:
        path.write_bytes(pickle.dumps(results, protocol=4))
    assert_same(load_results_pickle(str(path)), results)


def test_code_in_a_results_file_is_refused(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'results.pkl'
    path.write_bytes(pickle.dumps([{'img_id': 1, 'x': Exploit(marker)}]))
    with pytest.raises(UntrustedPickleError) as err:
        load_results_pickle(str(path))
    assert str(path) in str(err.value) and 'system' in str(err.value)
    assert not marker.exists()


def test_code_in_a_tensor_storage_is_refused(tmp_path):
    """torch reads a pickled storage with full unpickling; not here."""
    marker = tmp_path / 'pwned'
    blob = io.BytesIO()
    torch.save({'x': Exploit(marker)}, blob)

    class EvilStorage:

        def __reduce__(self):
            return (torch.storage._load_from_bytes, (blob.getvalue(), ))

    path = tmp_path / 'results.pkl'
    path.write_bytes(pickle.dumps([EvilStorage()]))
    with pytest.raises(pickle.UnpicklingError):
        load_results_pickle(str(path))
    assert not marker.exists()


def test_truncated_and_missing_files_are_named(tmp_path):
    path = tmp_path / 'results.pkl'
    dump(results_like_test_out(), str(path))
    path.write_bytes(path.read_bytes()[:50])
    with pytest.raises(pickle.UnpicklingError, match='results.pkl'):
        load_results_pickle(str(path))
    with pytest.raises(FileNotFoundError, match='nope.pkl'):
        load_results_pickle(str(tmp_path / 'nope.pkl'))


def test_reads_what_tools_test_writes(tiny_checkpoint, tiny_shapes, tmp_path):
    out = tmp_path / 'results.pkl'
    run_tool(['tools/test.py', TINY_CONFIG, tiny_checkpoint, '--work-dir',
              str(tmp_path / 'w'), '--out', str(out), '--cfg-options',
              *data_options(tiny_shapes)])
    with open(out, 'rb') as f:
        expected = pickle.load(f)
    assert len(expected) == 6
    assert_same(load_results_pickle(str(out)), expected)
