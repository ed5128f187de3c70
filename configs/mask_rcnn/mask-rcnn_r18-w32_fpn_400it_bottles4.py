# The shapes baseline (mask-rcnn_r18-w32_fpn_shapes.py: half-width ResNet-18
# from scratch, 64-channel FPN) on bottles4, the real photos shipped in
# assets/bottles4/ (configs/_base_/datasets/bottles4_instance.py): the
# baseline every method's bottles4 config is compared with
# (docs/bottles4_study.md). Same model; the bottles4 data at long side 256
# px, batch 4, and the bottles4 schedule shared by all those configs: 400
# iterations of AdamW at the shapes config's learning rate, warm-up over
# 100, lr x0.1 at 75% and 90% (the shapes schedule at half length).
_base_ = './mask-rcnn_r18-w32_fpn_shapes.py'
dataset_type = 'CocoDataset'
data_root = 'assets/bottles4/'
metainfo = dict(
    classes=('GlassBottle_Close', 'GlassBottle_Loose', 'PlasticBottle_Close',
             'PlasticBottle_Loose'))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=(256, 256), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(256, 256), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
train_dataloader = dict(
    batch_size=4,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        ann_file='train.json',
        data_prefix=dict(img='images/'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        ann_file='val.json',
        data_prefix=dict(img='images/'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'val.json')
test_evaluator = val_evaluator

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
default_hooks = dict(checkpoint=dict(interval=max_iters))
