"""COCO AP plus AP* and boundary AP, the measures of mask quality that
RefineMask (Zhang et al., CVPR 2021) and PointRend report.

* AP* is COCO mask AP scored against the LVIS v0.5 val annotations of the
  80 COCO categories ("cocofied", built by
  ``tools/dataset_converters/cocofy_lvis.py``), whose masks are more
  precise. As in PointRend (detectron2) and RefineMask it uses the LVIS
  protocol, because LVIS labels are not exhaustive.
* Boundary AP replaces the mask IoU by min(mask IoU, boundary IoU), the
  boundary of a mask being the mask minus its erosion by
  round(0.02 x image diagonal) pixels (Cheng et al., CVPR 2021); computed by
  faster-coco-eval.
"""
import copy
import json
import os.path as osp
import tempfile
from typing import Dict, Optional

import numpy as np
from faster_coco_eval import COCOeval_faster
from mmdet.evaluation.metrics import CocoMetric
from mmengine.fileio import get_local_path
from mmengine.logging import MMLogger

from ...registry import METRICS
from ..functional import lvis_style_evaluate
from ..functional.lvis_style_eval import load_gt

BOUNDARY_KEYS = ('mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l')
AP_STAR_KEYS = {'AP': 'AP*', 'AP50': 'AP*50', 'AP75': 'AP*75',
                'APs': 'AP*s', 'APm': 'AP*m', 'APl': 'AP*l'}


@METRICS.register_module()
class CocoAPStarMetric(CocoMetric):
    """:class:`CocoMetric` (pycocotools, unchanged) + AP* + boundary AP.

    Args:
        ap_star_ann_file (str, optional): The cocofied LVIS v0.5 val file;
            adds ``segm_AP*`` (and AP*50, AP*75, AP*s, AP*m, AP*l). A local
            path that does not exist is skipped with a warning, so that
            configs that ask for AP* still run on COCO alone.
        ap_star_max_dets (int): Detections per image for AP* (lvis-api's
            300). Defaults to 300.
        boundary (bool): Add ``boundary_mAP`` ... ``boundary_mAP_l`` against
            ``ann_file``. Defaults to False.
        boundary_dilation_ratio (float): Boundary width as a fraction of the
            image diagonal. Defaults to 0.02.
        **kwargs: Arguments of :class:`CocoMetric`.
    """

    def __init__(self,
                 *args,
                 ap_star_ann_file: Optional[str] = None,
                 ap_star_max_dets: int = 300,
                 boundary: bool = False,
                 boundary_dilation_ratio: float = 0.02,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if ap_star_ann_file and '://' not in ap_star_ann_file and \
                not osp.exists(ap_star_ann_file):
            MMLogger.get_current_instance().warning(
                f'AP* is skipped: {ap_star_ann_file} does not exist (build '
                'it from lvis_v0.5_val.json with '
                'tools/dataset_converters/cocofy_lvis.py)')
            ap_star_ann_file = None
        self.ap_star_ann_file = ap_star_ann_file
        self.ap_star_max_dets = ap_star_max_dets
        self.boundary = boundary
        self.boundary_dilation_ratio = boundary_dilation_ratio
        self._ap_star_api = None

    def compute_metrics(self, results: list) -> Dict[str, float]:
        eval_results = super().compute_metrics(results)
        if self.format_only or not (self.ap_star_ann_file or self.boundary):
            return eval_results
        logger: MMLogger = MMLogger.get_current_instance()
        preds = [pred for _, pred in results]
        with tempfile.TemporaryDirectory() as tmp_dir:
            files = self.results2json(preds, osp.join(tmp_dir, 'results'))
            if 'segm' not in files:
                raise KeyError('CocoAPStarMetric: AP* and boundary AP need '
                               'mask predictions, the model gave none')
            with open(files['segm']) as f:
                dets = json.load(f)
        if self.ap_star_ann_file:
            if self._ap_star_api is None:
                with get_local_path(self.ap_star_ann_file,
                                    backend_args=self.backend_args) as path:
                    self._ap_star_api = load_gt(path)
            logger.info('Evaluating AP* (cocofied LVIS, LVIS protocol)...')
            stats = lvis_style_evaluate(self._ap_star_api, dets, 'segm',
                                        self.ap_star_max_dets, logger)
            for key, name in AP_STAR_KEYS.items():
                eval_results[f'segm_{name}'] = stats[key]
        if self.boundary:
            eval_results.update(self._boundary_ap(dets, logger))
        return eval_results

    def _boundary_ap(self, dets: list, logger) -> Dict[str, float]:
        logger.info('Evaluating boundary AP...')
        gt = load_gt(copy.deepcopy(self._coco_api.dataset))
        if not dets:
            return {f'boundary_{k}': -1.0 for k in BOUNDARY_KEYS}
        evaluator = COCOeval_faster(
            gt, gt.loadRes(dets), 'boundary', print_function=logger.info,
            boundary_dilation_ratio=self.boundary_dilation_ratio)
        evaluator.params.catIds = self.cat_ids
        evaluator.params.imgIds = self.img_ids
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
        return {f'boundary_{k}': float(np.round(evaluator.stats[i], 4))
                for i, k in enumerate(BOUNDARY_KEYS)}
