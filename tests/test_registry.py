from mmengine.registry import DefaultScope

from mmseginst.registry import (DATASETS, HOOKS, METRICS, MODELS,
                                OPTIM_WRAPPERS, TRANSFORMS, VISUALIZERS)
from mmseginst.utils import register_all_modules


def test_registries_are_children_of_mmdet():
    for reg in (MODELS, DATASETS, TRANSFORMS, METRICS, HOOKS, VISUALIZERS):
        assert reg.scope == 'mmseginst'
        assert reg.parent.scope == 'mmdet'


def test_default_scope_resolves_ours_and_mmdet():
    register_all_modules()
    assert DefaultScope.get_current_instance().scope_name == 'mmseginst'
    from mmdet.models.detectors import MaskRCNN
    from mmseginst.datasets import ShapesDataset
    from mmseginst.models.losses import LovaszHingeLoss
    assert MODELS.get('LovaszHingeLoss') is LovaszHingeLoss
    assert MODELS.get('MaskRCNN') is MaskRCNN  # from the parent
    assert DATASETS.get('ShapesDataset') is ShapesDataset
    assert DATASETS.get('CocoDataset').__module__.startswith('mmdet')
    assert METRICS.get('CocoMetric').__module__.startswith('mmdet')
    # mmcv transforms live in mmengine's root registry
    assert TRANSFORMS.get('LoadImageFromFile') is not None
    assert TRANSFORMS.get('PackDetInputs') is not None
    assert HOOKS.get('CheckpointHook') is not None
    # ours from mmseginst.engine, mmengine's through the parents
    assert HOOKS.get('ChannelsLastHook').__module__.startswith('mmseginst')
    assert OPTIM_WRAPPERS.get('CPUAutocastOptimWrapper').__module__ \
        .startswith('mmseginst')
    assert OPTIM_WRAPPERS.get('OptimWrapper') is not None
    assert VISUALIZERS.get('DetLocalVisualizer') is not None
    # scoped names reach mmdet explicitly
    assert MODELS.get('mmdet.FCOSHead').__name__ == 'FCOSHead'


def test_build_through_default_scope():
    register_all_modules()
    loss = MODELS.build(dict(type='LovaszHingeLoss', loss_weight=2.0))
    assert loss.loss_weight == 2.0
    focal = MODELS.build(dict(type='GaussianFocalLoss'))
    assert type(focal).__name__ == 'GaussianFocalLoss'
