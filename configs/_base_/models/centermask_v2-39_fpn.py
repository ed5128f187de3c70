# CenterMask with VoVNetV2-39 (Lee & Park, CVPR 2020), centermask2's
# settings [code: youngwanLEE/centermask2 configs/centermask/
# Base-CenterMask-VoVNet.yaml, centermask/config/defaults.py].
model = dict(
    type='CenterMask',
    # detectron2's default input: BGR, mean subtraction only (the centermask2
    # configs do not override MODEL.PIXEL_MEAN / PIXEL_STD)
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[103.53, 116.28, 123.675],
        std=[1.0, 1.0, 1.0],
        bgr_to_rgb=False,
        pad_size_divisor=32),
    backbone=dict(
        type='VoVNet',
        arch='39',
        out_indices=(1, 2, 3),  # C3-C5
        frozen_stages=-1,  # BACKBONE.FREEZE_AT: 0
        norm_cfg=dict(type='BN', requires_grad=False),  # VOVNET.NORM FrozenBN
        norm_eval=True,
        # official detectron2 ImageNet weights, converted on load
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://dl.dropbox.com/s/q98pypf96rhtd8y/'
            'vovnet39_ese_detectron2.pth')),
    # P3-P5 from C3-C5, P6 from P5, P7 from relu(P6) (FCOS.TOP_LEVELS 2)
    neck=dict(
        type='FPN',
        in_channels=[512, 768, 1024],
        out_channels=256,
        start_level=0,
        add_extra_convs='on_output',
        num_outs=5,
        relu_before_extra_convs=True),
    bbox_head=dict(
        type='CenterMaskFCOSHead',
        num_classes=80,
        in_channels=256,
        stacked_convs=4,  # NUM_CLS_CONVS / NUM_BOX_CONVS
        feat_channels=256,
        strides=[8, 16, 32, 64, 128],
        regress_ranges=((-1, 64), (64, 128), (128, 256), (256, 512),
                        (512, 1e8)),  # SIZES_OF_INTEREST
        norm_cfg=dict(type='GN', num_groups=32, requires_grad=True),
        conv_bias=True,  # the official towers keep the conv bias under GN
        center_sampling=True,
        center_sample_radius=1.5,
        norm_on_bbox=True,  # ReLU(Scale(x)) in stride units
        centerness_on_reg=True,
        loss_cls=dict(
            type='FocalLoss',
            use_sigmoid=True,
            gamma=2.0,
            alpha=0.25,
            loss_weight=1.0),
        loss_bbox=dict(type='GIoULoss', loss_weight=1.0),
        loss_centerness=dict(
            type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0)),
    roi_head=dict(
        type='CenterMaskRoIHead',
        # Eq. 2 on P3-P5; ROIAlignV2 = aligned, adaptive sampling
        mask_roi_extractor=dict(
            type='AdaptiveRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=14, sampling_ratio=0),
            out_channels=256,
            featmap_strides=[8, 16, 32]),
        mask_head=dict(
            type='SAGMaskHead',
            num_convs=4,
            in_channels=256,
            conv_out_channels=256,
            num_classes=80,
            loss_mask=dict(
                type='CrossEntropyLoss', use_mask=True, loss_weight=1.0)),
        mask_iou_head=dict(
            type='CenterMaskIoUHead',
            num_convs=4,
            num_fcs=2,
            roi_feat_size=14,
            in_channels=256,
            conv_out_channels=256,
            fc_out_channels=1024,
            num_classes=80,
            # 0.5 * delta^2 over targets > 0, MASKIOU_LOSS_WEIGHT 1.0
            loss_iou=dict(type='MSELoss', loss_weight=0.5))),
    train_cfg=dict(
        # FCOS detections used as training RoIs (INFERENCE_TH_TRAIN,
        # PRE_NMS_TOPK_TRAIN, NMS_TH, POST_NMS_TOPK_TRAIN)
        proposal=dict(
            nms_pre=1000,
            score_thr=0.05,
            nms=dict(type='nms', iou_threshold=0.6),
            max_per_img=100),
        # detectron2 ROI_HEADS defaults: IoU 0.5, 512 RoIs, 25% positives
        rcnn=dict(
            assigner=dict(
                type='MaxIoUAssigner',
                pos_iou_thr=0.5,
                neg_iou_thr=0.5,
                min_pos_iou=0.5,
                match_low_quality=False,
                ignore_iof_thr=-1),
            sampler=dict(
                type='RandomSampler',
                num=512,
                pos_fraction=0.25,
                neg_pos_ub=-1,
                add_gt_as_proposals=True),
            mask_size=28,
            pos_weight=-1,
            mask_thr_binary=0.5)),  # MaskIoU target binarisation
    test_cfg=dict(
        nms_pre=1000,
        score_thr=0.05,
        nms=dict(type='nms', iou_threshold=0.6),
        max_per_img=50,  # POST_NMS_TOPK_TEST: 50 boxes to the mask branch
        mask_thr_binary=0.5))
