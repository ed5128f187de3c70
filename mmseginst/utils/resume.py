"""Which checkpoint ``--resume`` continues from.

mmengine resumes from the path written in ``WORK_DIR/last_checkpoint``. If
that pointer is missing, empty, or names a file that no longer exists (a
kill during a save of an older mmengine hook, a file removed by hand), the
newest complete checkpoint of the work dir is used instead, and the log
says so.
"""
import glob
import logging
import os.path as osp
import re
import zipfile
from typing import List, Optional, Tuple

from mmengine.logging import print_log

POINTER = 'last_checkpoint'
_STEP = re.compile(r'^(?:epoch|iter)_(\d+)\.pth$')


def read_pointer(work_dir: str) -> Optional[str]:
    """The stripped content of ``work_dir/last_checkpoint``, or None when
    there is no such file."""
    path = osp.join(work_dir, POINTER)
    if not osp.isfile(path):
        return None
    with open(path, encoding='utf-8') as f:
        return f.read().strip()


def _is_complete(path: str) -> bool:
    """A torch (zip) checkpoint whose central directory can be read: a
    file cut short loses it."""
    try:
        with zipfile.ZipFile(path) as zf:
            return bool(zf.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def newest_checkpoint(work_dir: str) -> Tuple[Optional[str], List[str]]:
    """The ``epoch_N.pth`` / ``iter_N.pth`` of ``work_dir`` with the largest
    N that is complete, and the newer ones skipped because they are not."""
    found = []
    for path in glob.glob(osp.join(glob.escape(work_dir), '*.pth')):
        match = _STEP.match(osp.basename(path))
        if match:
            found.append((int(match.group(1)), osp.getmtime(path), path))
    skipped = []
    for _, _, path in sorted(found, reverse=True):
        if _is_complete(path):
            return path, skipped
        skipped.append(path)
    return None, skipped


def find_resume_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint to resume training in ``work_dir`` from.

    Returns the path ``last_checkpoint`` names when it is a remote address
    (``s3://``, ``open-mmlab://`` ...) or an existing file; otherwise the
    newest complete ``epoch_N.pth``/``iter_N.pth`` in ``work_dir``, with a
    warning that names the pointer's state and the chosen file; None (and
    a log line) when there is nothing to resume from.
    """
    pointer = read_pointer(work_dir)
    if pointer and ('://' in pointer or osp.isfile(pointer)):
        return pointer
    path, skipped = newest_checkpoint(work_dir)
    where = osp.join(work_dir, POINTER)
    state = ('does not exist' if pointer is None else
             'is empty' if not pointer else
             f'names {pointer!r}, which does not exist')
    if skipped:
        state += ('; incomplete checkpoint(s) skipped: '
                  + ', '.join(repr(p) for p in skipped))
    if path is not None:
        print_log(f'{where} {state}: resuming from the newest complete '
                  f'checkpoint in the work dir, {path!r}',
                  logger='current', level=logging.WARNING)
    else:
        print_log(f'{where} {state} and {work_dir!r} holds no complete '
                  'checkpoint: training starts from the beginning',
                  logger='current',
                  level=logging.INFO if pointer is None and not skipped
                  else logging.WARNING)
    return path
