"""A hand-made test set and results file whose confusion matrix and
per-image APs can be worked out by hand (see the comments)."""
import json
import os
import os.path as osp
import pickle

import cv2
import numpy as np
import pycocotools.mask as mask_util
import torch
from pycocotools.coco import COCO

from conftest import REPO

CLASSES = ('a', 'b', 'c')
# file order a, b, c with ids that are not sorted: labels follow file order
CAT_IDS = {'a': 3, 'b': 1, 'c': 2}
# image id -> objects (class, x, y, w, h)
OBJECTS = {
    1: [('a', 2, 2, 10, 10), ('b', 18, 18, 10, 10)],
    2: [('c', 4, 4, 12, 12), ('a', 20, 4, 8, 8)],
    3: [('b', 6, 6, 10, 10)],
}
# image id -> detections (label index, score, box as object index or
# x, y, w, h), scores >= 0.3 unless said
DETECTIONS = {
    # both objects found with their class; a class-c detection of A at
    # 0.1 is under the confusion matrix's score threshold: AP 1.0
    1: [(0, 0.9, 0), (1, 0.8, 1), (2, 0.1, 0)],
    # C found, D (class a) missed: class c AP 1, class a AP 0 -> 0.5
    2: [(2, 0.9, 0)],
    # E (class b) labelled a, and a class-c box on background: AP 0
    3: [(0, 0.9, 0), (2, 0.5, (20, 20, 8, 8))],
}
# rows: ground truth a, b, c, background; columns: prediction (mmdet's
# rule at score 0.3, IoU 0.5)
EXPECTED_MATRIX = [[1, 0, 0, 1],   # A found; D missed
                   [1, 1, 0, 1],   # B found; E taken for a, so missed
                   [0, 0, 1, 0],   # C found
                   [0, 0, 1, 0]]   # the class-c box on background
EXPECTED_AP = {1: 1.0, 2: 0.5, 3: 0.0}


def write_handmade(root: str) -> str:
    """Write images, annotations, results.pkl and a config; return the
    config path."""
    os.makedirs(osp.join(root, 'img'), exist_ok=True)
    rng = np.random.default_rng(0)
    images, anns = [], []
    for img_id, objects in OBJECTS.items():
        name = f'{img_id:03d}.png'
        cv2.imwrite(osp.join(root, 'img', name),
                    rng.integers(0, 255, (32, 32, 3), dtype=np.uint8))
        images.append(dict(id=img_id, file_name=name, height=32, width=32))
        for cls, x, y, w, h in objects:
            anns.append(dict(
                id=len(anns) + 1, image_id=img_id, category_id=CAT_IDS[cls],
                bbox=[x, y, w, h], area=w * h, iscrowd=0,
                segmentation=[[x, y, x + w, y, x + w, y + h, x, y + h]]))
    cats = [dict(id=CAT_IDS[c], name=c) for c in CLASSES]
    ann_file = osp.join(root, 'ann.json')
    with open(ann_file, 'w') as f:
        json.dump(dict(images=images, annotations=anns, categories=cats), f)
    _write_results(root, ann_file)
    config = osp.join(root, 'handmade.py')
    with open(config, 'w') as f:
        f.write(f"_base_ = '{REPO}/configs/_base_/default_runtime.py'\n"
                "test_dataloader = dict(dataset=dict(type='CocoDataset', "
                f"data_root='{root}/', ann_file='ann.json', "
                "data_prefix=dict(img='img/'), test_mode=True, "
                f"metainfo=dict(classes={CLASSES!r}), pipeline=[]))\n")
    return config


def _write_results(root, ann_file):
    coco = COCO(ann_file)
    results = []
    for img_id, dets in DETECTIONS.items():
        gts = coco.loadAnns(coco.getAnnIds(imgIds=img_id))
        boxes, masks = [], []
        for _, _, where in dets:
            if isinstance(where, int):  # the object's own box and mask
                x, y, w, h = gts[where]['bbox']
                mask = coco.annToMask(gts[where])
            else:
                x, y, w, h = where
                mask = np.zeros((32, 32), np.uint8)
                mask[y:y + h, x:x + w] = 1
            boxes.append([x, y, x + w, y + h])
            masks.append(mask_util.encode(np.asfortranarray(mask)))
        results.append(dict(img_id=img_id, ori_shape=(32, 32),
                            pred_instances=dict(
                                bboxes=torch.tensor(boxes, dtype=torch.float),
                                scores=torch.tensor([d[1] for d in dets]),
                                labels=torch.tensor([d[0] for d in dets]),
                                masks=masks)))
    with open(osp.join(root, 'results.pkl'), 'wb') as f:
        pickle.dump(results, f)
