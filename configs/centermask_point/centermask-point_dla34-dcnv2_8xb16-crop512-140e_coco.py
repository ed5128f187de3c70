# CenterMask (point representation, Wang et al., CVPR 2020) with DLA-34 and
# CenterNet's DLA-up/IDA-up neck (DCNv2) at 512x512: the paper's 32.5 mask AP
# row. The paper gives no schedule: we train as CenterNet trains DLA-34
# (its stated pipeline): Adam 5e-4 for batch 128, 140 epochs, lr x0.1 at 90
# and 120 (_base_/schedules/schedule_centernet_adam_140e.py) with CenterNet's
# augmentation. Values the paper does not state are marked [unverified].
_base_ = [
    '../_base_/datasets/coco_instance.py',
    '../_base_/schedules/schedule_centernet_adam_140e.py',
    '../_base_/default_runtime.py'
]
num_classes = 80
model = dict(
    type='CenterMaskPoint',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),  # DLA-up needs sizes divisible by 32
    backbone=dict(
        type='DLA',
        depth=34,
        # ImageNet DLA-34 of the DLA authors, as CenterNet initialises it
        # (the abstract's "trained from scratch" refers to HG-104 [unverified])
        init_cfg=dict(
            type='Pretrained',
            checkpoint='http://dl.yf.io/dla/models/imagenet/'
            'dla34-ba72cf86.pth')),
    neck=dict(
        type='DLAUpNeck',
        in_channels=(16, 32, 64, 128, 256, 512),
        start_level=2,  # output stride 4
        end_level=5,
        use_dcn=True),
    bbox_head=dict(
        type='CenterMaskPointHead',
        num_classes=num_classes,
        in_channels=64,
        feat_channels=256,  # each head: 3x3 conv(256) + ReLU + 1x1
        shape_size=32,  # S (Sec. 3.5)
        loss_center_heatmap=dict(
            type='GaussianFocalLoss', alpha=2.0, gamma=4.0, loss_weight=1.0),
        # lambda_size 0.1, lambda_off 1: both reimplementations [unverified]
        loss_wh=dict(type='L1Loss', loss_weight=0.1),
        loss_offset=dict(type='L1Loss', loss_weight=1.0)),
    mask_head=dict(
        type='GlobalSaliencyHead',
        num_classes=num_classes,
        in_channels=64,
        feat_channels=256,
        in_indices=(0, ),
        saliency_type='class_specific',  # +2.4 AP over class-agnostic
        use_local_shape=True,
        loss_mask=dict(type='AssembledMaskLoss', loss_weight=1.0),
        loss_saliency=None),  # Eq. 6 has no direct saliency term
    # Gaussian radius: mmdet's corrected CenterNet formula with its
    # min_overlap 0.3 [our choice; sokunmin's reimplementation uses 0.7]
    train_cfg=dict(min_overlap=0.3),
    # top-100 peaks (3x3 max-pool), no NMS; mask threshold 0.4 as in both
    # reimplementations [unverified]
    test_cfg=dict(topk=100, local_maximum_kernel=3, score_thr=0.0,
                  mask_thr=0.4))

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
