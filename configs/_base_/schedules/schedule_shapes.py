# Short iteration-based schedule for the built-in shapes dataset on CPU:
# AdamW (models start from scratch, no pretrained weights exist offline),
# linear warm-up, lr x0.1 at 75% and 90% of training, one evaluation at the end.
# Use with default_runtime_iter.py.
max_iters = 800
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

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
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4),
    clip_grad=dict(max_norm=10, norm_type=2))
auto_scale_lr = dict(enable=False, base_batch_size=8)

# A fixed seed makes shapes comparisons between methods repeatable.
randomness = dict(seed=0)
