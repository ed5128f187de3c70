"""tools/misc/generate_shapes.py shows a progress bar per split."""
from conftest import run_tool


def test_progress_bar_per_split(tmp_path):
    proc = run_tool(['tools/misc/generate_shapes.py', '--out',
                     str(tmp_path), '--num-train', '3', '--num-val', '2',
                     '--size', '32', '32'])
    out = proc.stdout
    assert 0 < out.index('] 3/3,') < out.index('] 2/2,') < out.index(
        '\ntrain: ')
