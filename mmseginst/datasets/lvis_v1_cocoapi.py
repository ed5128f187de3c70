"""LVIS v1 without the ``lvis`` package.

mmdet's ``LVISV1Dataset`` reads its annotations through lvis-api, which is
not installable with numpy 2 from the package index. The LVIS json is
COCO-shaped, so mmdet's pycocotools wrapper (whose snake-case methods are
those of ``lvis.LVIS``) reads it as well; everything else (classes, image
paths from ``coco_url``, annotation parsing) is mmdet's.
"""
import copy
from typing import List

from mmdet.datasets import LVISV1Dataset
from mmdet.datasets.api_wrappers import COCO
from mmengine.fileio import get_local_path

from ..registry import DATASETS


@DATASETS.register_module()
class LVISV1CocoAPIDataset(LVISV1Dataset):
    """:class:`mmdet.datasets.LVISV1Dataset` read with pycocotools."""

    def load_data_list(self) -> List[dict]:
        with get_local_path(
                self.ann_file, backend_args=self.backend_args) as local_path:
            api = COCO(local_path)
        self.cat_ids = api.get_cat_ids()
        self.cat2label = {cat_id: i for i, cat_id in enumerate(self.cat_ids)}
        self.cat_img_map = copy.deepcopy(api.cat_img_map)
        data_list, ann_ids_seen = [], []
        for img_id in api.get_img_ids():
            raw_img_info = api.load_imgs([img_id])[0]
            raw_img_info['img_id'] = img_id
            # LVIS v1 names images by their COCO url: train2017/xxx.jpg
            raw_img_info['file_name'] = raw_img_info['coco_url'].replace(
                'http://images.cocodataset.org/', '')
            ann_ids = api.get_ann_ids(img_ids=[img_id])
            ann_ids_seen.extend(ann_ids)
            data_list.append(
                self.parse_data_info({
                    'raw_ann_info': api.load_anns(ann_ids),
                    'raw_img_info': raw_img_info
                }))
        if self.ANN_ID_UNIQUE and len(set(ann_ids_seen)) != len(ann_ids_seen):
            raise ValueError(
                f"Annotation ids in '{self.ann_file}' are not unique")
        return data_list
