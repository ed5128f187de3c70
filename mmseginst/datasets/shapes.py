"""The built-in shapes dataset (see :mod:`.shapes_generator`)."""
from mmdet.datasets import CocoDataset

from ..registry import DATASETS
from .shapes_generator import CLASSES, PALETTE
from .utils import check_annotation_file


@DATASETS.register_module()
class ShapesDataset(CocoDataset):
    """COCO-format dataset written by ``tools/misc/generate_shapes.py``."""

    METAINFO = {'classes': CLASSES, 'palette': PALETTE}

    def load_data_list(self):
        check_annotation_file(
            self.ann_file, hint='generate it with `python '
            'tools/misc/generate_shapes.py --out <data_root>`')
        return super().load_data_list()
