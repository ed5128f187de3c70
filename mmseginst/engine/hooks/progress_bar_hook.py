"""A progress bar over the images of a test run."""
import sys
from typing import Optional, Sequence

from mmengine.dist import get_world_size, is_main_process
from mmengine.hooks import Hook
from mmengine.utils import ProgressBar

from mmseginst.registry import HOOKS


@HOOKS.register_module()
class ProgressBarHook(Hook):
    """Show a progress bar while ``tools/test.py`` runs over the test set.

    On the main process only; in a distributed run it advances by the batch
    size times the number of processes, as each process tests its share.
    """

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self._bar: Optional[ProgressBar] = None

    def before_test_epoch(self, runner) -> None:
        if is_main_process():
            # the stdout of now, not of import time
            self._bar = ProgressBar(len(runner.test_dataloader.dataset),
                                    file=sys.stdout)

    def after_test_iter(self,
                        runner,
                        batch_idx: int,
                        data_batch: Optional[dict] = None,
                        outputs: Optional[Sequence] = None) -> None:
        if self._bar is None:
            return
        # the last batches of a distributed run are padded: stop at the end
        step = min(len(outputs or ()) * get_world_size(),
                   self._bar.task_num - self._bar.completed)
        if step > 0:
            self._bar.update(step)
        if self._bar.completed >= self._bar.task_num:
            self._bar.file.write('\n')  # before the evaluation's log
            self._bar = None
