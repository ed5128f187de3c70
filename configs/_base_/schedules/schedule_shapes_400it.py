# schedule_shapes.py at half length (400 iterations): the same AdamW,
# warm-up and lr x0.1 at 75% and 90% of training, one evaluation at the end.
_base_ = './schedule_shapes.py'
max_iters = 400
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=100),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[int(max_iters * 0.75), int(max_iters * 0.9)],
        gamma=0.1)
]
