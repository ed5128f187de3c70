"""Path checks that turn a missing file into an error naming it."""
import os.path as osp
from typing import Optional


def check_annotation_file(ann_file: str, hint: Optional[str] = None) -> None:
    """Raise ``FileNotFoundError`` naming ``ann_file`` (and its folder when
    that is missing too) if the annotation file does not exist."""
    if osp.isfile(ann_file):
        return
    folder = osp.dirname(ann_file) or '.'
    where = ('' if osp.isdir(folder) else
             f' (its folder {folder!r} does not exist either)')
    msg = f'annotation file {ann_file!r} not found{where}'
    if hint:
        msg += f'; {hint}'
    raise FileNotFoundError(msg)
