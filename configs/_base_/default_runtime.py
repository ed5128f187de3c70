# Runtime shared by every mmseginst config. default_scope='mmseginst' makes the
# registries resolve our components first and mmdet's for everything else.
default_scope = 'mmseginst'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # mmengine's CheckpointHook with saves that survive a kill (new file,
    # then last_checkpoint, then old files removed; see the hook's docstring)
    checkpoint=dict(type='AtomicCheckpointHook', interval=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='DetVisualizationHook'))

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # tools/train.py switches to gloo when no GPU is present.
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type='LocalVisBackend')]
# mmdet's DetLocalVisualizer drawing on images enlarged to a short side of at
# least min_size px (the 128x128 shapes images at 512x512); our choice
visualizer = dict(
    type='ScaledDetLocalVisualizer',
    vis_backends=vis_backends,
    name='visualizer',
    min_size=512)
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=True)

log_level = 'INFO'
load_from = None
resume = False
