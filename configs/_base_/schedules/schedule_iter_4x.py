# detectron2-style 4x (CenterMask-Lite) schedule (360000 iterations at batch 16, lr x0.1 at [300000, 340000]), as
# used by centermask2 and EmbedMask: SGD lr 0.01, momentum 0.9, wd 1e-4,
# linear warm-up over 1000 iterations from 0.001 x lr. Methods whose paper
# warms up differently override the first scheduler. Use with
# default_runtime_iter.py (iteration-based checkpoints and logs).
train_cfg = dict(type='IterBasedTrainLoop', max_iters=360000, val_interval=40000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
        end=1000),
    dict(
        type='MultiStepLR',
        begin=0,
        end=360000,
        by_epoch=False,
        milestones=[300000, 340000],
        gamma=0.1)
]

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001))

auto_scale_lr = dict(enable=False, base_batch_size=16)
