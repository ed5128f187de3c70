"""Registries of mmseginst.

Every registry is a child of mmdet's registry of the same kind, so a config
with ``default_scope='mmseginst'`` resolves our components first and falls
back to mmdet's (and, through mmdet, to mmengine's and mmcv's) for everything
else. ``locations`` makes the registry import the package that fills it the
first time a key is looked up.
"""
from mmdet.registry import DATA_SAMPLERS as MMDET_DATA_SAMPLERS
from mmdet.registry import DATASETS as MMDET_DATASETS
from mmdet.registry import EVALUATOR as MMDET_EVALUATOR
from mmdet.registry import HOOKS as MMDET_HOOKS
from mmdet.registry import LOG_PROCESSORS as MMDET_LOG_PROCESSORS
from mmdet.registry import LOOPS as MMDET_LOOPS
from mmdet.registry import METRICS as MMDET_METRICS
from mmdet.registry import MODEL_WRAPPERS as MMDET_MODEL_WRAPPERS
from mmdet.registry import MODELS as MMDET_MODELS
from mmdet.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMDET_OPTIM_WRAPPER_CONSTRUCTORS
from mmdet.registry import OPTIM_WRAPPERS as MMDET_OPTIM_WRAPPERS
from mmdet.registry import OPTIMIZERS as MMDET_OPTIMIZERS
from mmdet.registry import PARAM_SCHEDULERS as MMDET_PARAM_SCHEDULERS
from mmdet.registry import RUNNER_CONSTRUCTORS as MMDET_RUNNER_CONSTRUCTORS
from mmdet.registry import RUNNERS as MMDET_RUNNERS
from mmdet.registry import TASK_UTILS as MMDET_TASK_UTILS
from mmdet.registry import TRANSFORMS as MMDET_TRANSFORMS
from mmdet.registry import VISBACKENDS as MMDET_VISBACKENDS
from mmdet.registry import VISUALIZERS as MMDET_VISUALIZERS
from mmdet.registry import WEIGHT_INITIALIZERS as MMDET_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

_ENGINE = ['mmseginst.engine']

RUNNERS = Registry('runner', parent=MMDET_RUNNERS, locations=_ENGINE)
RUNNER_CONSTRUCTORS = Registry(
    'runner constructor', parent=MMDET_RUNNER_CONSTRUCTORS, locations=_ENGINE)
LOOPS = Registry('loop', parent=MMDET_LOOPS, locations=_ENGINE)
HOOKS = Registry('hook', parent=MMDET_HOOKS, locations=_ENGINE)
LOG_PROCESSORS = Registry(
    'log_processor', parent=MMDET_LOG_PROCESSORS, locations=_ENGINE)

DATASETS = Registry(
    'dataset', parent=MMDET_DATASETS, locations=['mmseginst.datasets'])
DATA_SAMPLERS = Registry(
    'data sampler', parent=MMDET_DATA_SAMPLERS,
    locations=['mmseginst.datasets'])
TRANSFORMS = Registry(
    'transform', parent=MMDET_TRANSFORMS,
    locations=['mmseginst.datasets.transforms'])

MODELS = Registry('model', parent=MMDET_MODELS, locations=['mmseginst.models'])
MODEL_WRAPPERS = Registry(
    'model_wrapper', parent=MMDET_MODEL_WRAPPERS,
    locations=['mmseginst.models'])
WEIGHT_INITIALIZERS = Registry(
    'weight initializer', parent=MMDET_WEIGHT_INITIALIZERS,
    locations=['mmseginst.models'])
TASK_UTILS = Registry(
    'task util', parent=MMDET_TASK_UTILS, locations=['mmseginst.models'])

OPTIMIZERS = Registry('optimizer', parent=MMDET_OPTIMIZERS, locations=_ENGINE)
OPTIM_WRAPPERS = Registry(
    'optim_wrapper', parent=MMDET_OPTIM_WRAPPERS, locations=_ENGINE)
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer constructor', parent=MMDET_OPTIM_WRAPPER_CONSTRUCTORS,
    locations=_ENGINE)
PARAM_SCHEDULERS = Registry(
    'parameter scheduler', parent=MMDET_PARAM_SCHEDULERS, locations=_ENGINE)

METRICS = Registry(
    'metric', parent=MMDET_METRICS, locations=['mmseginst.evaluation'])
EVALUATOR = Registry(
    'evaluator', parent=MMDET_EVALUATOR, locations=['mmseginst.evaluation'])

VISUALIZERS = Registry(
    'visualizer', parent=MMDET_VISUALIZERS,
    locations=['mmseginst.visualization'])
VISBACKENDS = Registry(
    'vis_backend', parent=MMDET_VISBACKENDS,
    locations=['mmseginst.visualization'])
