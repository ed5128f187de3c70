# CenterMask-Point at the scale of the CPU configs (shapes, bottles4): the
# half-width ResNet-18 of the Mask R-CNN baseline (base_channels=32, BN),
# CenterNet's upsampling neck up to stride 4 and all five heads at width 64.
_base_ = './centermask-point_dla34.py'
num_classes = 4
model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=18,
        base_channels=32,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        init_cfg=None),
    # CenterNet's DLA-up/IDA-up neck on the four ResNet levels (strides
    # 4..32, plain convs for CPU speed): on 128x128 images C5 is 4x4, too
    # coarse for mmdet's skip-less deconvolution neck (CTResNetNeck).
    neck=dict(
        in_channels=(32, 64, 128, 256),
        start_level=0,
        end_level=3,
        use_dcn=False),
    # all heads at width 64; the paper's S=32 (the Local Shape 1x1 conv runs
    # only at object centers, so S costs nothing here)
    bbox_head=dict(num_classes=num_classes, in_channels=32, feat_channels=64),
    mask_head=dict(num_classes=num_classes, in_channels=32, feat_channels=64))
# AdamW at 4e-3 (4x the baseline's 1e-3) [our choice]: the heatmap branch
# converges slowly (docs/shapes_study.md, CenterMask-Point)
