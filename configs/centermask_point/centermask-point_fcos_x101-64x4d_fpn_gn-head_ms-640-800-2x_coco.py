# The FCOS variant of CenterMask (Sec. 4, "embedded to FCOS"): the Local
# Shape + Global Saliency branches on an FCOS X-101-64x4d-FPN detector; the
# paper reports about 38.5 mask AP [2nd-hand, unverified]. Local Shape
# vectors are predicted at every FPN location and supervised at FCOS's
# positives; the Global Saliency is predicted on P3 (stride 8). The paper
# gives no recipe for this variant: we use FCOS's own X-101 one (mmdet's
# fcos_x101-64x4d_fpn_gn-head_ms-640-800-2x: SGD 0.01, batch 16, 24 epochs,
# multi-scale 640-800) [our choice].
_base_ = [
    '../_base_/datasets/coco_instance_ms.py',
    '../_base_/schedules/schedule_2x.py', '../_base_/default_runtime.py'
]
num_classes = 80
model = dict(
    type='CenterMaskPoint',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        type='ResNeXt',
        depth=101,
        groups=64,
        base_width=4,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=True,
        style='pytorch',
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/pretrain/'
            'third_party/resnext101_64x4d-ee2c6f71.pth')),
    neck=dict(
        type='FPN',
        in_channels=[256, 512, 1024, 2048],
        out_channels=256,
        start_level=1,
        add_extra_convs='on_output',  # P6, P7 from P5
        num_outs=5,
        relu_before_extra_convs=True),
    bbox_head=dict(
        type='CenterMaskPointFCOSHead',
        num_classes=num_classes,
        in_channels=256,
        stacked_convs=4,
        feat_channels=256,
        strides=[8, 16, 32, 64, 128],
        shape_size=32,  # S, as in the point version
        shape_feat_channels=256,
        loss_cls=dict(
            type='FocalLoss',
            use_sigmoid=True,
            gamma=2.0,
            alpha=0.25,
            loss_weight=1.0),
        loss_bbox=dict(type='IoULoss', loss_weight=1.0),
        loss_centerness=dict(
            type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0)),
    mask_head=dict(
        type='GlobalSaliencyHead',
        num_classes=num_classes,
        in_channels=256,
        feat_channels=256,
        in_indices=(0, ),  # P3
        saliency_type='class_specific',
        loss_mask=dict(type='AssembledMaskLoss', loss_weight=1.0),
        # FCOS has many positives per object: cap the assembled masks per
        # batch (CondInst's 300 [our choice])
        max_masks_to_train=300),
    test_cfg=dict(
        nms_pre=1000,
        min_bbox_size=0,
        score_thr=0.05,
        nms=dict(type='nms', iou_threshold=0.5),
        max_per_img=100,
        mask_thr=0.4))

# FCOS's optimiser: lr 0.01, doubled bias lr without decay, gradient clip,
# constant 1/3 warm-up over 500 iterations.
optim_wrapper = dict(
    optimizer=dict(lr=0.01),
    paramwise_cfg=dict(bias_lr_mult=2., bias_decay_mult=0.),
    clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    dict(type='ConstantLR', factor=1.0 / 3, by_epoch=False, begin=0, end=500),
    dict(
        type='MultiStepLR',
        begin=0,
        end=24,
        by_epoch=True,
        milestones=[16, 22],
        gamma=0.1)
]
