"""Image loading whose errors name the file.

mmcv's ``LoadImageFromFile`` names the file when an image cannot be decoded
(``failed to load image: ...``), but a zero-byte file makes OpenCV raise
``cv2.error ... !buf.empty()`` first, without it. Registered in mmseginst's
registry under the same name, as mmdet's ``LoadAnnotations`` extends
mmcv's, so every config with ``default_scope='mmseginst'`` uses it; it
behaves as mmcv's in every other respect.
"""
import os.path as osp
from typing import Optional

from mmcv.transforms import LoadImageFromFile as MMCVLoadImageFromFile

from mmseginst.registry import TRANSFORMS


def _is_empty_local_file(path: str) -> bool:
    return '://' not in path and osp.isfile(path) and \
        osp.getsize(path) == 0


@TRANSFORMS.register_module()
class LoadImageFromFile(MMCVLoadImageFromFile):
    """mmcv's ``LoadImageFromFile`` (same arguments, same output keys:
    ``img`` (H, W, 3) uint8, ``img_shape``, ``ori_shape``) whose errors name
    the file: ``ValueError`` for an empty (0-byte) file, ``OSError`` for any
    other failure that does not already name it."""

    def transform(self, results: dict) -> Optional[dict]:
        filename = str(results['img_path'])
        try:
            return super().transform(results)
        except Exception as exc:
            if filename in str(exc):
                raise
            if _is_empty_local_file(filename):
                raise ValueError(
                    f'image file {filename!r} is empty (0 bytes)') from exc
            raise OSError(f'cannot load image {filename!r}: '
                          f'{type(exc).__name__}: {exc}') from exc
