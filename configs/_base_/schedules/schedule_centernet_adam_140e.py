# CenterNet's schedule (Zhou et al. 2019, ctdet DLA-34): Adam lr 5e-4 for batch
# 128, 140 epochs, lr x0.1 at epochs 90 and 120, no weight decay, no warm-up.
# Point-representation methods (CenterMask-Point) inherit it.
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=140, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

param_scheduler = [
    dict(
        type='MultiStepLR',
        begin=0,
        end=140,
        by_epoch=True,
        milestones=[90, 120],
        gamma=0.1)
]

optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='Adam', lr=5e-4, weight_decay=0))

auto_scale_lr = dict(enable=False, base_batch_size=128)
