# CenterMask with point representation (Wang et al., CVPR 2020): DLA-34 and
# CenterNet's DLA-up/IDA-up neck (DCNv2) at output stride 4, the Heatmap,
# Offset, Size and Local Shape heads (CenterMaskPointHead) and the Global
# Saliency head with the Mask Assembly (GlobalSaliencyHead), for COCO's 80
# classes. Values the paper does not state are marked [unverified].
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
