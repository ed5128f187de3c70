# CenterMask (point representation, Wang et al., CVPR 2020) with DLA-34 and
# CenterNet's DLA-up/IDA-up neck (DCNv2) at 512x512: the paper's 32.5 mask AP
# row. The paper gives no schedule: we train as CenterNet trains DLA-34
# (its stated pipeline): Adam 5e-4 for batch 128, 140 epochs, lr x0.1 at 90
# and 120 (_base_/schedules/schedule_centernet_adam_140e.py) with CenterNet's
# augmentation. Values the paper does not state are marked [unverified].
_base_ = [
    '../_base_/models/centermask-point_dla34.py',
    '../_base_/datasets/coco_instance.py',
    '../_base_/schedules/schedule_centernet_adam_140e.py',
    '../_base_/default_runtime.py'
]
# CenterNet's augmentation with masks: photometric distortion, random center
# crop 0.6-1.3 of 512 padded with the mean, resize to 512, flip.
backend_args = None
train_pipeline = [
    dict(type='LoadImageFromFile', to_float32=True,
         backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='PhotoMetricDistortion',
        brightness_delta=32,
        contrast_range=(0.5, 1.5),
        saturation_range=(0.5, 1.5),
        hue_delta=18),
    dict(
        type='RandomCenterCropPadWithMask',
        crop_size=(512, 512),
        ratios=(0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3),
        mean=[0, 0, 0],  # normalisation happens in the data preprocessor
        std=[1, 1, 1],
        to_rgb=True,
        test_pad_mode=None),
    dict(type='Resize', scale=(512, 512), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
# CenterNet's fixed-resolution test: the long side resized to 512 (aspect
# kept), padded to a multiple of 32 by the data preprocessor.
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(512, 512), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
train_dataloader = dict(
    batch_size=16,  # x 8 GPUs = CenterNet's batch 128
    num_workers=4,
    batch_sampler=None,
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
