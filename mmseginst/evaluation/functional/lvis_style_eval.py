"""LVIS-protocol AP without the ``lvis`` package (its release on the index
breaks on numpy 2), on top of faster-coco-eval's LVIS mode.

The protocol of lvis-api (Gupta et al., CVPR 2019), which faster-coco-eval
reproduces with ``lvis_style=True``:

* per image, detections of a category that is neither annotated in the
  image nor listed in its ``neg_category_ids`` are not evaluated;
* unmatched detections of a category listed in ``not_exhaustive_category_ids``
  are ignored (neither true nor false positives);
* at most ``max_dets`` (300) detections per image, the highest scored,
  across categories (``LVISResults``); faster-coco-eval caps per image *and
  category*, so :func:`top_k_per_image` applies the cap beforehand;
* AP over IoU 0.50:0.95 and 101 recall points, averaged over categories, and
  AP_r / AP_c / AP_f over the categories of each ``frequency``.
"""
import logging
from collections import defaultdict
from typing import Dict, List, Sequence, Union

import numpy as np
from faster_coco_eval import COCO, COCOeval_faster

# stats_as_dict of faster-coco-eval -> the names of mmdet's LVISMetric
LVIS_KEYS = {
    'AP_all': 'AP', 'AP_50': 'AP50', 'AP_75': 'AP75', 'AP_small': 'APs',
    'AP_medium': 'APm', 'AP_large': 'APl', 'APr': 'APr', 'APc': 'APc',
    'APf': 'APf'
}


def top_k_per_image(results: Sequence[dict], k: int) -> List[dict]:
    """Keep the ``k`` highest-scored results of every image (across
    categories), as ``lvis.LVISResults`` does."""
    by_image = defaultdict(list)
    for res in results:
        by_image[res['image_id']].append(res)
    kept = []
    for image_results in by_image.values():
        image_results.sort(key=lambda r: -r['score'])
        kept.extend(image_results[:k])
    return kept


def load_gt(gt: Union[str, dict, COCO]) -> COCO:
    """faster-coco-eval ``COCO`` from a path, a loaded json dict or itself."""
    if isinstance(gt, COCO):
        return gt
    if isinstance(gt, dict):
        api = COCO()
        api.dataset = gt
        api.createIndex()
        return api
    return COCO(gt)


def lvis_style_evaluate(gt: Union[str, dict, COCO],
                        results: Sequence[dict],
                        iou_type: str = 'segm',
                        max_dets: int = 300,
                        logger: logging.Logger = None) -> Dict[str, float]:
    """LVIS AP of COCO-format ``results`` against LVIS-format ``gt``.

    Args:
        gt: LVIS-format ground truth (images with ``neg_category_ids`` and
            ``not_exhaustive_category_ids``, categories with ``frequency``).
        results (Sequence[dict]): COCO result dicts (``image_id``,
            ``category_id``, ``score`` and ``bbox`` or ``segmentation``).
        iou_type (str): 'bbox', 'segm' or 'boundary'.
        max_dets (int): Detections kept per image. Defaults to 300.
        logger (logging.Logger, optional): Where the summary goes.

    Returns:
        dict[str, float]: AP, AP50, AP75, APs, APm, APl, APr, APc, APf
        (-1 where undefined, as the evaluators do).
    """
    gt_api = load_gt(gt)
    for key in ('neg_category_ids', 'not_exhaustive_category_ids'):
        missing = [i['id'] for i in gt_api.dataset['images'] if key not in i]
        if missing:
            raise ValueError(
                f'LVIS-style evaluation needs "{key}" in every image of the '
                f'ground truth; images {missing[:5]} lack it (is this an '
                'LVIS annotation file?)')
    gt_img_ids = set(gt_api.getImgIds())
    results = [r for r in results if r['image_id'] in gt_img_ids]
    results = top_k_per_image(results, max_dets)
    empty = {name: -1.0 for name in LVIS_KEYS.values()}
    if not results:
        return empty
    dt_api = gt_api.loadRes([dict(r) for r in results])
    print_fn = logger.info if logger is not None else (lambda *a: None)
    evaluator = COCOeval_faster(
        gt_api, dt_api, iou_type, lvis_style=True, print_function=print_fn)
    evaluator.params.maxDets = [max_dets]
    evaluator.evaluate()
    evaluator.accumulate()
    evaluator.summarize()
    stats = evaluator.stats_as_dict
    return {name: float(np.round(stats[key], 4))
            for key, name in LVIS_KEYS.items()}
