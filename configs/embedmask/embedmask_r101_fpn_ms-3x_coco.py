# EmbedMask R-101-FPN multi-scale 3x (current version); official
# configs/embed_mask/embed_mask_R101_ms_3x.yaml: 270k iterations, steps
# 210k/250k, MIN_SIZE_TRAIN (640, 800) drawn with random.choice (so only the
# two scales 640 and 800, not the 640..800 range). README: 38.1 mask AP
# (minival); 37.7 on test-dev (PapersWithCode).
_base_ = './embedmask_r101_fpn_1x_coco.py'
train_cfg = dict(max_iters=270000, val_interval=30000)
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='RandomChoiceResize',
        scales=[(1333, 640), (1333, 800)],
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
param_scheduler = [
    dict(
        type='ConstantLR',
        factor=1.0 / 3,
        by_epoch=False,
        begin=0,
        end=500),
    dict(
        type='MultiStepLR',
        begin=0,
        end=270000,
        by_epoch=False,
        milestones=[210000, 250000],
        gamma=0.1)
]
