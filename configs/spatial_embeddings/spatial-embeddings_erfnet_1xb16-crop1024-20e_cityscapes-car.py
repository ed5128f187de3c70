# SpatialEmbeddings, stage 2 of the released cars model: from the last
# stage-1 checkpoint, 20 more epochs of random 1024x1024 crops of full train
# images (README; author in issue #8: n_epochs 220, crop 1024, type 'train').
# The poly schedule continues: lr = 5e-4 * (1 - e/220)^0.9 for e = 200..219,
# i.e. 5e-4 * (20/220)^0.9 * (1 - e'/20)^0.9 for e' = 0..19 (starts at
# ~5.8e-5). Differences [unverified / our choice]: the Adam moments restart
# (load_from, not resume); 3000 crops per epoch and batch 16 as in stage 1
# (the repository does not say); a third-party summary reports batch 2 and
# frozen BN statistics here, which the repository does not show.
_base_ = './spatial-embeddings_erfnet_1xb16-crop512-200e_cityscapes-car.py'
load_from = 'work_dirs/spatial-embeddings_erfnet_1xb16-crop512-200e_' \
    'cityscapes-car/epoch_200.pth'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='RandomCrop',
        crop_size=(1024, 1024),
        allow_negative_crop=True,  # background crops too
        recompute_bbox=True),
    dict(type='PackDetInputs')
]
train_dataloader = dict(
    sampler=dict(weight_by_instances=False),
    dataset=dict(
        filter_cfg=dict(filter_empty_gt=False), pipeline=train_pipeline))
max_epochs = 20
train_cfg = dict(max_epochs=max_epochs, val_interval=5)
optim_wrapper = dict(optimizer=dict(lr=5e-4 * (20 / 220)**0.9))
param_scheduler = [
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=max_epochs,
         by_epoch=True)
]
default_hooks = dict(checkpoint=dict(interval=5))
