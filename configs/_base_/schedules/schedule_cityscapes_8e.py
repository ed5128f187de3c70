# Cityscapes schedule of RefineMask and of mmdet's Cityscapes Mask R-CNN:
# SGD lr 0.01 for 16 images per batch, 8 epochs over the 8x repeated train
# set (RepeatDataset in the dataset base), lr x0.1 after epoch 7, linear
# warm-up over 500 iterations.
max_epochs = 8
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_epochs,
        by_epoch=True,
        milestones=[7],
        gamma=0.1)
]

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001))

# 8 GPUs x 2 images; --auto-scale-lr scales lr to yours.
auto_scale_lr = dict(enable=False, base_batch_size=16)
