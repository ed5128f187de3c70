"""Reading the predictions that ``tools/test.py --out`` writes.

The file is a pickle (mmdet's ``DumpDetResults``): a list with one dict per
image (``img_id``, ``ori_shape``, ``pred_instances`` with ``bboxes``,
``scores``, ``labels`` tensors and ``masks`` as COCO RLEs). Unpickling runs
whatever the file names, so :func:`load_results` reads it with
:func:`~mmseginst.utils.safe_pickle.load_results_pickle`, which builds only
the data types such a file holds.
"""
import io
import os.path as osp
import pickle
from typing import List, Sequence

import numpy as np
import pycocotools.mask as mask_util
from mmdet.structures.mask import encode_mask_results

from .safe_pickle import load_results_pickle


def load_results(path: str) -> List[dict]:
    """The list of per-image results in a ``tools/test.py --out`` file.

    Raises:
        FileNotFoundError: No such file.
        ValueError: The file is not such a results file, or it names
            objects that could run code when loaded; the message names it.
    """
    try:
        results = load_results_pickle(path)
    except (pickle.UnpicklingError, RuntimeError, TypeError,
            AttributeError) as exc:
        raise ValueError(f'refusing to read {path!r}: {exc} (a pickle that '
                         'tools/test.py --out writes is expected)') from exc
    if not isinstance(results, list) or not all(
            isinstance(r, dict) and 'img_id' in r and 'pred_instances' in r
            for r in results):
        raise ValueError(f'{path!r} is not a list of per-image results with '
                         'img_id and pred_instances (tools/test.py --out)')
    return results


def label_cat_ids(coco, classes: Sequence[str]) -> List[int]:
    """Category id of each label, as mmdet's CocoDataset numbers them: the
    file's categories named in ``classes``, in the file's order."""
    return coco.getCatIds(catNms=list(classes))


def _numpy(x):
    return x.numpy() if hasattr(x, 'numpy') else np.asarray(x)


def _rles(masks) -> list:
    """Masks of one image as COCO RLEs: tools/test.py already stores
    RLEs; (N, H, W) binary masks are encoded by mmdet's helper."""
    if len(masks) and not isinstance(masks[0], dict):
        masks = encode_mask_results(_numpy(masks))
    return masks


def results_to_coco(results: List[dict], cat_ids: List[int],
                    iou_type: str) -> List[dict]:
    """The ``pred_instances`` of tools/test.py's pickle as COCO results
    (label index i -> category ``cat_ids[i]``)."""
    dets = []
    for k, res in enumerate(results):
        if 'img_id' not in res or 'pred_instances' not in res:
            raise KeyError(f'result {k} has no img_id / pred_instances: '
                           'is this a tools/test.py --out pickle?')
        pred = res['pred_instances']
        if iou_type == 'segm' and 'masks' not in pred:
            raise KeyError(f'result {k} (img_id {res["img_id"]}) has no '
                           'masks; use --iou-type bbox')
        bboxes, scores = _numpy(pred['bboxes']), _numpy(pred['scores'])
        if iou_type == 'segm' and 'mask_scores' in pred:
            # mask scoring (CenterMask's MaskIoU): what CocoMetric ranks
            # masks by
            scores = _numpy(pred['mask_scores'])
        labels = _numpy(pred['labels'])
        if iou_type == 'segm':
            rles = _rles(pred['masks'])
        for i in range(len(scores)):
            label = int(labels[i])
            if not 0 <= label < len(cat_ids):
                raise ValueError(f'img_id {res["img_id"]}: label {label} '
                                 f'outside the {len(cat_ids)} categories '
                                 'of the annotation file')
            x1, y1, x2, y2 = (float(v) for v in bboxes[i])
            det = dict(image_id=res['img_id'],
                       score=float(scores[i]),
                       category_id=cat_ids[label],
                       bbox=[x1, y1, x2 - x1, y2 - y1])
            if iou_type == 'segm':
                rle = dict(rles[i])  # the caller's results stay as they are
                if isinstance(rle['counts'], bytes):
                    rle['counts'] = rle['counts'].decode()
                det['segmentation'] = rle
            dets.append(det)
    return dets


def coco_ious(coco_gt, gts: List[dict], dets: List[dict],
              iou_type: str) -> np.ndarray:
    """(num_gt, num_det) IoU of COCO annotations and COCO-format
    detections, boxes or masks, no crowd handling."""
    if iou_type == 'bbox':
        g = [a['bbox'] for a in gts]
        d = [x['bbox'] for x in dets]
    else:
        g = [coco_gt.annToRLE(a) for a in gts]
        d = [x['segmentation'] for x in dets]
    return np.asarray(mask_util.iou(d, g, [0] * len(g))).T.reshape(
        len(gts), len(dets))


def test_set_of(cfg, loader: str = 'test_dataloader'):
    """``(annotation file, classes, COCO api, image folder)`` of a
    config's test set.

    Raises:
        ValueError: The file lacks a class or orders them otherwise (the
            message names the file and both lists).
    """
    import contextlib

    from pycocotools.coco import COCO

    from .classes import compare_categories, dataset_classes, read_categories
    from .config_checks import _iter_datasets
    key, ds = next(_iter_datasets(cfg[loader]['dataset'],
                                  f'{loader}.dataset'))
    classes, where = dataset_classes(ds, key)
    ann = ds.get('ann_file') or ''
    if ds.get('data_root') and not osp.isabs(ann):
        ann = osp.join(ds['data_root'], ann)
    if not osp.isfile(ann):
        raise FileNotFoundError(f'{key}.ann_file: annotation file {ann!r} '
                                'does not exist')
    compare_categories(classes, read_categories(ann), ann, where,
                       allow_subset=True)
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(ann)
    img_dir = (ds.get('data_prefix') or {}).get('img', '')
    if ds.get('data_root') and not osp.isabs(img_dir):
        img_dir = osp.join(ds['data_root'], img_dir)
    return ann, classes, coco, img_dir
