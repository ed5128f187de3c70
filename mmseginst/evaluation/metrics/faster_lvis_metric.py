"""LVIS AP (AP, AP_r, AP_c, AP_f) without the ``lvis`` package.

mmdet's ``LVISMetric`` needs lvis-api, whose release on the package index
breaks on numpy 2 (``np.float``). This metric keeps mmdet's
``CocoMetric`` result handling and evaluates with faster-coco-eval's LVIS
mode (:func:`lvis_style_evaluate`), reporting the keys of ``LVISMetric``
(``bbox_AP``, ``segm_APr``, ...). ``boundary`` adds the LVIS boundary AP
(boundary IoU, Cheng et al., CVPR 2021).
"""
import json
import os.path as osp
import tempfile
from collections import OrderedDict
from typing import Dict, List, Optional, Union

from mmdet.evaluation.metrics import CocoMetric
from mmengine.evaluator import BaseMetric
from mmengine.fileio import get_local_path
from mmengine.logging import MMLogger

from ...registry import METRICS
from ..functional import lvis_style_evaluate
from ..functional.lvis_style_eval import load_gt


@METRICS.register_module()
class FasterLVISMetric(CocoMetric):
    """LVIS evaluation (lvis-api protocol) on faster-coco-eval.

    Args:
        ann_file (str): LVIS annotation file (v0.5 or v1).
        metric (str | list[str]): 'bbox', 'segm' and/or 'boundary'.
            Defaults to 'bbox'.
        max_dets (int): Detections evaluated per image. Defaults to 300.
        format_only (bool): Only write the result files. Defaults to False.
        outfile_prefix (str, optional): Prefix of the result files.
        backend_args (dict, optional): File backend arguments.
        collect_device (str): 'cpu' or 'gpu'. Defaults to 'cpu'.
        prefix (str, optional): Metric name prefix. Defaults to 'lvis'.
    """
    default_prefix: Optional[str] = 'lvis'

    def __init__(self,
                 ann_file: str,
                 metric: Union[str, List[str]] = 'bbox',
                 max_dets: int = 300,
                 format_only: bool = False,
                 outfile_prefix: Optional[str] = None,
                 backend_args: Optional[dict] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        BaseMetric.__init__(self, collect_device=collect_device, prefix=prefix)
        self.metrics = metric if isinstance(metric, list) else [metric]
        for name in self.metrics:
            if name not in ('bbox', 'segm', 'boundary'):
                raise KeyError(f"FasterLVISMetric: metric must be 'bbox', "
                               f"'segm' or 'boundary', got {name!r}")
        if format_only and outfile_prefix is None:
            raise ValueError('FasterLVISMetric: format_only needs an '
                             'outfile_prefix')
        self.max_dets = max_dets
        self.format_only = format_only
        self.outfile_prefix = outfile_prefix
        self.backend_args = backend_args
        with get_local_path(ann_file, backend_args=backend_args) as path:
            self._coco_api = load_gt(path)
        self.cat_ids = None
        self.img_ids = None

    def compute_metrics(self, results: list) -> Dict[str, float]:
        logger: MMLogger = MMLogger.get_current_instance()
        _, preds = zip(*results)
        self.cat_ids = sorted(self._coco_api.getCatIds())
        self.img_ids = self._coco_api.getImgIds()
        with tempfile.TemporaryDirectory() as tmp_dir:
            prefix = self.outfile_prefix or osp.join(tmp_dir, 'results')
            files = self.results2json(preds, prefix)
            if self.format_only:
                logger.info(f'results are saved in {osp.dirname(prefix)}')
                return OrderedDict()
            eval_results = OrderedDict()
            for metric in self.metrics:
                key = 'bbox' if metric == 'bbox' else 'segm'
                if key not in files:
                    raise KeyError(f'FasterLVISMetric: {metric} needs mask '
                                   'predictions, the model gave none')
                with open(files[key]) as f:
                    dets = json.load(f)
                logger.info(f'Evaluating {metric} (LVIS protocol)...')
                stats = lvis_style_evaluate(self._coco_api, dets, metric,
                                            self.max_dets, logger)
                for name, value in stats.items():
                    eval_results[f'{metric}_{name}'] = value
        return eval_results
