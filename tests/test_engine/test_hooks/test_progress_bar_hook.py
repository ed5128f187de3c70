"""ProgressBarHook: a bar over the test images that ends at their number."""
from types import SimpleNamespace

from mmseginst.engine.hooks import ProgressBarHook


def test_bar_counts_images_and_stops_at_the_end(capsys):
    runner = SimpleNamespace(test_dataloader=SimpleNamespace(
        dataset=list(range(5))))
    hook = ProgressBarHook()
    hook.before_test_epoch(runner)
    bar = hook._bar
    for i in range(3):  # batches of 2; the last one padded
        hook.after_test_iter(runner, i, outputs=[None, None])
    assert bar.completed == 5 and hook._bar is None
    out = capsys.readouterr().out
    assert '5/5' in out and out.endswith('\n')
