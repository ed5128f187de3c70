"""Data transforms of mmseginst (mmdet's and mmcv's are used as they are)."""
