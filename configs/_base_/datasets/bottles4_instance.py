# bottles4: a small real-photo set shipped in the repository
# (assets/bottles4/, CC BY 4.0, attribution in assets/bottles4/README.md):
# 4 bottle classes, 109 train / 32 val phone photos of 512x512, 402 / 117
# polygons. COCO format, read by mmdet's CocoDataset and evaluated by its
# CocoMetric, like every other set here. data_root is relative to the
# repository root (run the tools from there, as for data/shapes/).
# Images are used at long side 256 px (our choice: the CPU size of the
# bottles4 configs; objects are then about 20-120 px). Configs that upsample
# (CenterMask-Point) override the Resize.
dataset_type = 'CocoDataset'
data_root = 'assets/bottles4/'
# the category names of train.json / val.json, in id order (1..4)
metainfo = dict(
    classes=('GlassBottle_Close', 'GlassBottle_Loose', 'PlasticBottle_Close',
             'PlasticBottle_Loose'),
    palette=[(220, 20, 60), (0, 128, 255), (60, 180, 75), (255, 165, 0)])
backend_args = None

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=(256, 256), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
# annotations loaded after Resize: boxes and masks stay in the original frame
# (what the analysis tools compare predictions with)
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(256, 256), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
# images loaded in the training process, as for shapes: on 2 CPU cores a
# loader worker takes time from the compute threads
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        ann_file='train.json',
        data_prefix=dict(img='images/'),
        filter_cfg=dict(filter_empty_gt=False),
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        ann_file='val.json',
        data_prefix=dict(img='images/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader

val_evaluator = dict(
    type='CocoMetric',
    ann_file=data_root + 'val.json',
    metric=['bbox', 'segm'],
    format_only=False,
    backend_args=backend_args)
test_evaluator = val_evaluator
