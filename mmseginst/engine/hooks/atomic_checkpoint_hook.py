"""mmengine's CheckpointHook with saves that survive a kill at any moment.

mmengine 0.10's hook removes the checkpoints beyond ``max_keep_ckpts``
*before* it writes the new one, writes the checkpoint in place and writes
``last_checkpoint`` with a plain ``open(..., 'w')``. A process killed (or
preempted, or interrupted) during a save can therefore be left with no
checkpoint at all, with a truncated one, or with an empty or dangling
pointer.
"""
import glob
import os
import os.path as osp
import tempfile
from typing import List

from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend
from mmengine.hooks import CheckpointHook

from mmseginst.registry import HOOKS
from mmseginst.utils.atomic_io import atomic_write_bytes

# message hub key: steps whose checkpoints are outdated but may still exist
# (the process died between writing the pointer and removing them)
TO_REMOVE_KEY = 'ckpt_ids_to_remove'


def _fsync(path: str) -> None:
    with open(path, 'rb') as f:
        os.fsync(f.fileno())


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """A :class:`mmengine.hooks.CheckpointHook` whose every save leaves a
    complete checkpoint to resume from, whenever the process is killed.

    Each save happens in this order:

    1. the new checkpoint is written to a hidden temporary file
       ``.iter_N.pth.*.tmp`` next to it, flushed to disk and renamed into
       place (``os.replace`` is atomic);
    2. ``last_checkpoint`` is replaced the same way;
    3. only then are the checkpoints beyond ``max_keep_ckpts`` removed.

    Temporaries left by a killed save are removed at the next save;
    checkpoints whose removal was cut short are removed when training
    resumes (their steps are kept in the message hub until then). Object
    stores (``out_dir`` not local) are written directly, their puts being
    atomic already. The arguments are those of ``CheckpointHook``.
    """

    def before_train(self, runner) -> None:
        super().before_train(runner)
        pending = runner.message_hub.get_info(TO_REMOVE_KEY, [])
        if pending and is_main_process():
            self._remove_checkpoints(pending)
        runner.message_hub.update_info(TO_REMOVE_KEY, [])

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        if is_main_process():
            self._remove_stale_temporaries(runner.work_dir)
        outdated = self._update_kept_steps(runner, step)
        filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)

        self._write_checkpoint(runner, filename, meta)
        if not is_main_process():
            return
        atomic_write_bytes(
            osp.join(runner.work_dir, 'last_checkpoint'),
            self.last_ckpt.encode('utf-8'))
        self._remove_checkpoints(outdated)
        runner.message_hub.update_info(TO_REMOVE_KEY, [])

    def _update_kept_steps(self, runner, step: int) -> List[int]:
        """mmengine's bookkeeping of ``keep_ckpt_ids`` without the removal:
        return the steps that fall out of it (recorded in the message hub,
        hence in the checkpoint about to be written)."""
        if self.max_keep_ckpts <= 0 or (self.keep_ckpt_ids
                                        and self.keep_ckpt_ids[-1] == step):
            return []
        outdated = []
        if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
            outdated.append(self.keep_ckpt_ids.popleft())
        self.keep_ckpt_ids.append(step)
        runner.message_hub.update_info('keep_ckpt_ids',
                                       list(self.keep_ckpt_ids))
        runner.message_hub.update_info(TO_REMOVE_KEY, outdated)
        return outdated

    def _is_local(self) -> bool:
        return isinstance(self.file_backend, LocalBackend)

    def _write_checkpoint(self, runner, filename: str, meta: dict) -> None:
        """``runner.save_checkpoint`` into a temporary file of ``out_dir``,
        then a rename to ``filename`` (local folders, main process)."""
        tmp = None
        if self._is_local() and is_main_process():
            os.makedirs(self.out_dir, exist_ok=True)
            fd, tmp = tempfile.mkstemp(
                dir=self.out_dir, prefix=f'.{filename}.', suffix='.tmp')
            os.close(fd)
        try:
            runner.save_checkpoint(
                self.out_dir,
                osp.basename(tmp) if tmp else filename,
                self.file_client_args,
                save_optimizer=self.save_optimizer,
                save_param_scheduler=self.save_param_scheduler,
                meta=meta,
                by_epoch=self.by_epoch,
                backend_args=self.backend_args,
                **self.args)
            if tmp:
                _fsync(tmp)
                os.replace(tmp, osp.join(self.out_dir, filename))
        except BaseException:
            if tmp and osp.exists(tmp):
                os.remove(tmp)
            raise

    def _remove_stale_temporaries(self, work_dir: str) -> None:
        """Remove what earlier killed saves left: ``.iter_N.pth.*.tmp`` in
        ``out_dir`` and ``.last_checkpoint.*.tmp`` in the work dir."""
        patterns = [osp.join(glob.escape(work_dir), '.last_checkpoint.*.tmp')]
        if self._is_local():
            patterns.append(
                osp.join(glob.escape(self.out_dir),
                         f'.{self.filename_tmpl.format("*")}.*.tmp'))
        for pattern in patterns:
            for path in glob.glob(pattern):
                os.remove(path)

    def _remove_checkpoints(self, steps: List[int]) -> None:
        for step in steps:
            path = self.file_backend.join_path(self.out_dir,
                                               self.filename_tmpl.format(step))
            if self.file_backend.isfile(path):
                self.file_backend.remove(path)
            elif self.file_backend.isdir(path):  # saved by deepspeed
                self.file_backend.rmtree(path)
