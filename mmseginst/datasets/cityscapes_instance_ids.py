"""Cityscapes instance segmentation read directly from ``gtFine``.

Each ``gtFine/<split>/<city>/<name>_gtFine_instanceIds.png`` stores, per
pixel, ``label_id * 1000 + k`` for the k-th instance of a thing class and a
plain ``label_id`` (< 1000) for regions annotated as a group ("crowd").
Following SpatialEmbeddings' data loader, instances of the selected classes
become ground truth and group regions are background (the instance is
unknown). mmdet's COCO-style conversion (``CityscapesDataset`` on
``instancesonly_filtered_gtFine_*.json``) gives the same instances, with
group regions as ignored (crowd) annotations, which our head also treats as
background.

Annotations are decoded when the dataset is built (one PNG per image) into
mmdet's standard ``instances`` (bbox, bbox_label, RLE mask, ignore_flag), so
the whole mmdet pipeline (``LoadAnnotations``, crops, ``CocoMetric`` with
``ann_file=None``) applies unchanged.
"""
import glob
import os.path as osp
from typing import List

import numpy as np
import pycocotools.mask as mask_utils
from mmdet.datasets import BaseDetDataset
from PIL import Image

from ..registry import DATASETS

# Cityscapes label ids of the 8 thing classes evaluated by the benchmark
THING_LABEL_IDS = {
    'person': 24,
    'rider': 25,
    'car': 26,
    'truck': 27,
    'bus': 28,
    'train': 31,
    'motorcycle': 32,
    'bicycle': 33
}


def decode_instance_ids(instance_ids: np.ndarray,
                        label_ids: List[int]) -> List[dict]:
    """mmdet ``instances`` of an instanceIds map.

    Args:
        instance_ids (np.ndarray): (H, W) integer map.
        label_ids (list[int]): Cityscapes label id of each class index.

    Returns:
        list[dict]: One dict per instance with ``bbox`` (x1, y1, x2, y2,
        x2/y2 exclusive), ``bbox_label`` (class index), ``mask`` (RLE with
        str counts) and ``ignore_flag`` 0, in (class, id) order.
    """
    instances = []
    for label, label_id in enumerate(label_ids):
        ids = np.unique(instance_ids[(instance_ids >= label_id * 1000)
                                     & (instance_ids < (label_id + 1) *
                                        1000)])
        for inst_id in ids:  # group regions (< 1000) are never selected
            mask = instance_ids == inst_id
            ys, xs = np.nonzero(mask)
            rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
            rle['counts'] = rle['counts'].decode()
            instances.append(
                dict(
                    bbox=[float(xs.min()), float(ys.min()),
                          float(xs.max() + 1), float(ys.max() + 1)],
                    bbox_label=label,
                    mask=rle,
                    ignore_flag=0))
    return instances


@DATASETS.register_module()
class CityscapesInstanceIdsDataset(BaseDetDataset):
    """Cityscapes from ``leftImg8bit`` images and ``gtFine`` instanceIds.

    Args:
        data_root (str): Cityscapes root.
        data_prefix (dict): ``img`` (e.g. ``'leftImg8bit/train/'``) and
            ``seg`` (e.g. ``'gtFine/train/'``) folders, each with one
            sub-folder per city.
        metainfo (dict, optional): ``classes`` to use, a subset of the 8
            thing classes (e.g. ``('car', )`` for the released model).
        filter_cfg (dict, optional): ``filter_empty_gt`` drops training
            images without instances; ``min_size`` small images.
        Other arguments: see :class:`mmdet.datasets.BaseDetDataset`.
    """

    METAINFO = dict(
        classes=tuple(THING_LABEL_IDS),
        palette=[(220, 20, 60), (255, 0, 0), (0, 0, 142), (0, 0, 70),
                 (0, 60, 100), (0, 80, 100), (0, 0, 230), (119, 11, 32)])
    IMG_SUFFIX = '_leftImg8bit.png'
    ANN_SUFFIX = '_gtFine_instanceIds.png'

    def load_data_list(self) -> List[dict]:
        classes = self.metainfo['classes']
        unknown = [c for c in classes if c not in THING_LABEL_IDS]
        if unknown:
            raise ValueError(f'unknown Cityscapes classes {unknown}; valid: '
                             f'{list(THING_LABEL_IDS)}')
        label_ids = [THING_LABEL_IDS[c] for c in classes]
        img_dir, ann_dir = self.data_prefix.get('img'), \
            self.data_prefix.get('seg')
        if not img_dir or not ann_dir:
            raise ValueError('data_prefix must give both `img` (leftImg8bit '
                             'split folder) and `seg` (gtFine split folder)')
        images = sorted(
            glob.glob(osp.join(img_dir, '*', '*' + self.IMG_SUFFIX)))
        if not images:
            raise FileNotFoundError(
                f'no *{self.IMG_SUFFIX} under {img_dir}/<city>/')
        data_list = []
        for img_path in images:
            city = osp.basename(osp.dirname(img_path))
            stem = osp.basename(img_path)[:-len(self.IMG_SUFFIX)]
            ann_path = osp.join(ann_dir, city, stem + self.ANN_SUFFIX)
            if not osp.isfile(ann_path):
                raise FileNotFoundError(
                    f'{ann_path} (annotation of {img_path}) does not exist')
            instance_ids = np.asarray(Image.open(ann_path))
            h, w = instance_ids.shape[:2]
            data_list.append(
                dict(
                    img_path=img_path,
                    img_id=stem,
                    seg_map_path=None,
                    instance_ids_path=ann_path,
                    height=h,
                    width=w,
                    instances=decode_instance_ids(instance_ids, label_ids)))
        return data_list

    def filter_data(self) -> List[dict]:
        if self.test_mode or not self.filter_cfg:
            return self.data_list
        empty = self.filter_cfg.get('filter_empty_gt', False)
        min_size = self.filter_cfg.get('min_size', 0)
        return [
            d for d in self.data_list
            if not (empty and not d['instances'])
            and min(d['width'], d['height']) >= min_size
        ]
