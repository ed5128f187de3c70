# CenterMask-Point on the built-in shapes dataset: the small CPU config that
# is compared with configs/mask_rcnn/mask-rcnn_r18-w32_fpn_shapes.py trained
# for the same iterations. Same backbone (half-width ResNet-18 from scratch,
# BN), CenterNet's upsampling neck up to stride 4, all five heads at width 64
# and the shapes schedule (AdamW, 800 iterations, batch 8).
# Images are upsampled x2 (256x256), as the paper feeds 512x512 to a stride-4
# network (our choice: at 128 px a stride-4 grid is too coarse for the
# smallest shapes); masks and boxes are returned at the original 128x128
# size. The runs behind these values: docs/shapes_study.md, CenterMask-Point.
_base_ = [
    '../_base_/models/centermask-point_dla34.py',
    '../_base_/datasets/shapes_instance.py',
    '../_base_/schedules/schedule_shapes.py',
    '../_base_/default_runtime_iter.py'
]
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
optim_wrapper = dict(optimizer=dict(lr=4e-3))
default_hooks = dict(checkpoint=dict(interval=800))

backend_args = None
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale_factor=2.0, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale_factor=2.0, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
