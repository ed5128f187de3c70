"""The official Cityscapes instance-level metric, per class.

mmdet's :class:`CityScapesMetric` writes the predictions in the benchmark's
format and runs ``cityscapesscripts``' evaluation, but reports only the mean
over all 8 thing classes. A model trained on a subset (SpatialEmbeddings'
released model: cars only) would be averaged with zeros for the classes it
never predicts. This subclass also reports each class's AP and AP50 and
averages over the dataset's classes only (for the 8 classes this equals the
benchmark's ``allAp``).

Importing this module also makes ``cityscapesscripts`` 2.3.0 run on numpy
>= 2.4, which removed ``np.in1d`` (used by its matching step): the
evaluation module gets a numpy proxy with ``in1d`` = ``isin(...).ravel()``.
numpy itself is not modified. This fixes mmdet's ``CityScapesMetric`` as
well, once mmseginst's modules are registered.
"""
import os.path as osp
from collections import OrderedDict
from typing import Dict

import numpy as np
from mmdet.evaluation.metrics import CityScapesMetric
from mmengine.logging import MMLogger

from ...registry import METRICS


class _NumpyWithIn1d:
    """numpy, plus the ``in1d`` that numpy 2.4 removed."""

    def __getattr__(self, name):
        return getattr(np, name)

    @staticmethod
    def in1d(ar1, ar2, assume_unique=False, invert=False):
        return np.isin(np.ravel(ar1), ar2, assume_unique=assume_unique,
                       invert=invert)


def patch_cityscapesscripts() -> bool:
    """Give cityscapesscripts' instance evaluation a numpy with ``in1d``.

    Returns:
        bool: Whether the patch was needed and applied.
    """
    try:
        from cityscapesscripts.evaluation import \
            evalInstanceLevelSemanticLabeling as CSEval
    except ImportError:  # optional dependency
        return False
    if hasattr(np, 'in1d') or isinstance(CSEval.np, _NumpyWithIn1d):
        return False
    CSEval.np = _NumpyWithIn1d()
    return True


patch_cityscapesscripts()


@METRICS.register_module()
class CityscapesInstanceMetric(CityScapesMetric):
    """Cityscapes instance AP (mean over the dataset's classes + per class).

    Arguments are those of mmdet's ``CityScapesMetric``. Results:
    ``mAP``, ``AP@50`` and ``<class>_AP``, ``<class>_AP@50``.
    """

    def compute_metrics(self, results: list) -> Dict[str, float]:
        from cityscapesscripts.evaluation import \
            evalInstanceLevelSemanticLabeling as CSEval
        from mmdet.evaluation.functional import evaluateImgLists
        logger: MMLogger = MMLogger.get_current_instance()
        if self.format_only:
            logger.info(
                f'results are saved to {osp.dirname(self.outfile_prefix)}')
            return OrderedDict()
        gts, preds = zip(*results)
        CSEval.args.JSONOutput = False
        CSEval.args.colorized = False
        CSEval.args.quiet = True
        CSEval.args.gtInstancesFile = osp.join(self.outfile_prefix,
                                               'gtInstances.json')
        res = evaluateImgLists([p['pred_txt'] for p in preds],
                               [g['file_name'] for g in gts], CSEval.args,
                               self.backend_args,
                               dump_matches=self.dump_matches)
        per_class = res['averages']['classes']
        classes = self.dataset_meta['classes']
        missing = [c for c in classes if c not in per_class]
        if missing:
            raise ValueError(f'classes {missing} are not Cityscapes '
                             f'instance classes ({list(per_class)})')
        out = OrderedDict()
        out['mAP'] = float(np.nanmean([per_class[c]['ap'] for c in classes]))
        out['AP@50'] = float(
            np.nanmean([per_class[c]['ap50%'] for c in classes]))
        for c in classes:
            out[f'{c}_AP'] = float(per_class[c]['ap'])
            out[f'{c}_AP@50'] = float(per_class[c]['ap50%'])
        return out
