# EmbedMask (current version) at the scale of the CPU configs (shapes,
# bottles4): the half-width ResNet-18 (BN, from scratch) and 64-channel FPN of
# the Mask R-CNN baseline; heads keep EmbedMask's structure at 64 channels.
# Our choices for small objects: the FCOS levels one octave down (P2-P6,
# strides 4..64, the pixel-embedding branch on P2, masks at stride 2) and each
# level's size range 4x its stride instead of FCOS's 8x.
_base_ = './embedmask_r50_fpn.py'
num_classes = 4
model = dict(
    # from scratch: the baseline's normalisation, not the caffe weights'
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        depth=18,
        base_channels=32,
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        init_cfg=None),
    neck=dict(in_channels=[32, 64, 128, 256], out_channels=64, start_level=0),
    bbox_head=dict(
        num_classes=num_classes,
        in_channels=64,
        feat_channels=64,
        strides=[4, 8, 16, 32, 64],
        regress_ranges=((-1, 16), (16, 32), (32, 64), (64, 128),
                        (128, 1e8))),
    # P2 input; the spatial embedding channels see coordinates / 16 instead
    # of / 100 (the images are ~6x smaller than COCO's)
    mask_head=dict(
        in_channels=64, feat_channels=64, in_stride=4, coord_divisor=16.))
