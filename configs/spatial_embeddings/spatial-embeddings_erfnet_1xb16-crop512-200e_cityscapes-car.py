# SpatialEmbeddings, stage 1 of the released cars model (56.4 AP on
# Cityscapes val, car): 512x512 crops centred on car instances, 3000 crops
# per epoch, batch 16, Adam lr 5e-4 wd 1e-4, poly (1 - epoch/200)^0.9 stepped
# per epoch, 200 epochs, no augmentation, no pretraining
# (SpatialEmbeddings src/train_config.py, src/train.py, utils/
# generate_crops.py). Stage 2: ..._1xb16-crop1024-20e_cityscapes-car.py.
# Data: mmdet's COCO-style conversion of gtFine (crowd = ignored = background
# for this head); CityscapesInstanceIdsDataset reads gtFine directly.
_base_ = [
    '../_base_/models/spatial-embeddings_erfnet.py',
    '../_base_/datasets/cityscapes_instance.py',
    '../_base_/default_runtime.py'
]
classes = ('car', )
# car out of the 8 categories of the annotation files (tools/train.py and
# tools/test.py refuse a subset unless told)
allow_class_subset = True
model = dict(mask_head=dict(num_classes=len(classes)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    # the crop around a random instance's centroid, clipped to the image
    dict(type='InstanceCenteredCrop', crop_size=(512, 512)),
    dict(type='PackDetInputs')
]
train_dataloader = dict(
    batch_size=16,
    num_workers=8,
    drop_last=True,
    # an epoch = 3000 random crops, every instance equally likely (the
    # original draws 3000 of its pre-cut crops, one per car)
    sampler=dict(_delete_=True, type='InstanceWeightedSampler',
                 num_samples=3000),
    batch_sampler=None,
    dataset=dict(
        _delete_=True,
        type='CityscapesDataset',
        data_root='data/cityscapes/',
        metainfo=dict(classes=classes),
        ann_file='annotations/instancesonly_filtered_gtFine_train.json',
        data_prefix=dict(img='leftImg8bit/train/'),
        filter_cfg=dict(filter_empty_gt=True),
        pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(metainfo=dict(classes=classes)))
test_dataloader = val_dataloader
val_evaluator = [
    dict(
        type='CocoMetric',
        ann_file='data/cityscapes/annotations/'
        'instancesonly_filtered_gtFine_val.json',
        metric=['segm']),
    # the official benchmark (cityscapesscripts); per class and the mean
    # over `classes` (mmdet's CityScapesMetric averages all 8 classes)
    dict(
        type='CityscapesInstanceMetric',
        seg_prefix='data/cityscapes/gtFine/val',
        outfile_prefix='./work_dirs/cityscapes_metric/spatial_embeddings')
]
test_evaluator = val_evaluator

max_epochs = 200
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=5e-4, weight_decay=1e-4))
# lr = 5e-4 * (1 - epoch / 200) ** 0.9, set at the start of each epoch
param_scheduler = [
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=max_epochs,
         by_epoch=True)
]
auto_scale_lr = dict(enable=False, base_batch_size=16)
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=3))
