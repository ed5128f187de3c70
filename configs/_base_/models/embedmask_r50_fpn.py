# EmbedMask R-50-FPN, current (IJCAI 2021) version of yinghdb/EmbedMask
# (Ying et al., arXiv 1912.01954): FCOS on P3-P7 whose box tower also predicts
# a D=16 proposal embedding (2 spatial channels) and a margin per dimension,
# and a pixel-embedding branch on P3 with masks at stride 4. Values follow the
# official fcos_core config (names in the comments).
model = dict(
    type='EmbedMask',
    # MSRA caffe weights as in fcos_core: BGR, mean subtraction only
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[102.9801, 115.9465, 122.7717],
        std=[1.0, 1.0, 1.0],
        bgr_to_rgb=False,
        pad_mask=True,
        pad_size_divisor=32),  # DATALOADER.SIZE_DIVISIBILITY 32
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=1,  # FREEZE_CONV_BODY_AT 2: stem + res2
        norm_cfg=dict(type='BN', requires_grad=False),  # FrozenBatchNorm
        norm_eval=True,
        style='caffe',  # STRIDE_IN_1X1
        init_cfg=dict(
            type='Pretrained',
            # catalog://ImageNetPretrained/MSRA/R-50 (detectron C2 weights)
            checkpoint='https://download.openmmlab.com/pretrain/third_party/'
            'resnet50_msra-5891d200.pth')),
    # R-50-FPN-RETINANET with USE_C5 False: P3-P5 from C3-C5, P6 from P5,
    # P7 from relu(P6)
    neck=dict(
        type='FPN',
        in_channels=[256, 512, 1024, 2048],
        out_channels=256,
        start_level=1,
        add_extra_convs='on_output',
        num_outs=5,
        relu_before_extra_convs=True),
    bbox_head=dict(
        type='EmbedMaskHead',
        num_classes=80,
        in_channels=256,
        stacked_convs=4,
        feat_channels=256,
        strides=[8, 16, 32, 64, 128],
        norm_on_bbox=True,  # NORM_REG_TARGETS
        centerness_on_reg=True,  # CENTERNESS_ON_REG
        center_sampling=True,  # CENTER_ON
        center_sample_radius=1.5,  # CENTER_POS_RADIOS
        conv_bias=True,  # the official tower convs keep their bias with GN
        norm_cfg=dict(type='GN', num_groups=32, requires_grad=True),
        loss_cls=dict(
            type='FocalLoss',
            use_sigmoid=True,
            gamma=2.0,
            alpha=0.25,
            loss_weight=1.0),
        loss_bbox=dict(type='GIoULoss', loss_weight=1.0),
        loss_centerness=dict(
            type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        embed_dims=16,  # EMBED_DIM in the released configs (default 8)
        margin_channels=16,  # one margin per dimension (2021 version)
        margin_source='feature',  # exp(conv(box_tower / 32))
        prior_margin=2.0,  # PRIOR_MARGIN: p = 0.5 at distance 2
        proposal_sampling='max_iou',
        sample_in_mask=True),  # SAMPLE_IN_MASK
    mask_head=dict(
        type='EmbedMaskPixelHead',
        in_channels=256,
        feat_channels=256,
        stacked_convs=4,  # MASK_NUM_CONVS
        embed_dims=16,
        num_spatial_dims=2,
        coord_divisor=100.,
        in_stride=8,
        upsample_ratio=2,  # MASK_SCALE_FACTOR: masks at stride 4
        norm_cfg=dict(type='GN', num_groups=32, requires_grad=True),
        loss_mask=dict(type='LovaszHingeLoss', loss_weight=0.5),
        loss_box_padding=None),  # BOX_PADDING -1: the whole image
    train_cfg=None,
    test_cfg=dict(
        nms_pre=1000,  # PRE_NMS_TOP_N per level
        min_bbox_size=0,
        score_thr=0.05,  # INFERENCE_TH
        nms=dict(type='nms', iou_threshold=0.6),  # NMS_TH
        max_per_img=100,  # DETECTIONS_PER_IMG
        mask_thr=0.53,  # MASK_TH
        mask_box_padding=2))  # cells of the stride-4 grid
