# CenterMask at the scale of the CPU configs (shapes, bottles4): the
# half-width ResNet-18 (base_channels=32, BN, from scratch) and 64-channel FPN
# of the Mask R-CNN baseline, CenterMask's 4+4-conv FCOS towers (not Lite's
# 2+2) and 4-conv SAG-Mask, a Lite-sized MaskIoU head (2 convs). Our choices
# for objects of 8..200 px: FCOS one octave down (P2-P6, strides 4..64, as
# the baseline's anchors start at P2; Eq. 2 then assigns RoIs to P2-P4), each
# level's size range 4x its stride (FCOS: 8x) and 64 RoIs sampled per image
# (centermask2: 512).
_base_ = './centermask_v2-39_fpn.py'
num_classes = 4
model = dict(
    # same input normalisation as the baseline (no pretrained weights)
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=18,
        base_channels=32,
        num_stages=4,
        out_indices=(0, 1, 2, 3),  # C2-C5
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        init_cfg=None),
    neck=dict(in_channels=[32, 64, 128, 256], out_channels=64),
    bbox_head=dict(
        num_classes=num_classes,
        in_channels=64,
        feat_channels=64,
        norm_cfg=dict(type='GN', num_groups=16, requires_grad=True),
        strides=[4, 8, 16, 32, 64],
        regress_ranges=((-1, 16), (16, 32), (32, 64), (64, 128),
                        (128, 1e8))),
    roi_head=dict(
        mask_roi_extractor=dict(out_channels=64, featmap_strides=[4, 8, 16]),
        mask_head=dict(
            num_convs=4,
            in_channels=64,
            conv_out_channels=64,
            num_classes=num_classes),
        mask_iou_head=dict(
            num_convs=2,
            in_channels=64,
            conv_out_channels=64,
            fc_out_channels=256,
            num_classes=num_classes)),
    train_cfg=dict(rcnn=dict(sampler=dict(num=64))))
