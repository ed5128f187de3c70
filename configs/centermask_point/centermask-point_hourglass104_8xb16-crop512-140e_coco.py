# CenterMask with Hourglass-104 (mmdet's HourglassNet, CenterNet/CornerNet's
# two-stack 104-layer network): the paper's main row, 34.5 mask AP on COCO
# test-dev at 12.3 fps. "Totally trained from scratch" (abstract): no
# pretrained weights. Both stacks are supervised (CenterNet's intermediate
# supervision, losses averaged over stacks) with heads shared between stacks
# [our choice; CenterNet has one head per stack]; the last stack predicts.
_base_ = './centermask-point_dla34-dcnv2_8xb16-crop512-140e_coco.py'
model = dict(
    # Hourglass-104 downsamples 5 times after its stride-4 stem
    data_preprocessor=dict(pad_size_divisor=128),
    backbone=dict(
        _delete_=True,
        type='HourglassNet',
        downsample_times=5,
        num_stacks=2,
        stage_channels=[256, 256, 384, 384, 384, 512],
        stage_blocks=[2, 2, 2, 2, 2, 4],
        norm_cfg=dict(type='BN', requires_grad=True),
        init_cfg=None),
    neck=None,
    bbox_head=dict(in_channels=256),
    mask_head=dict(in_channels=256, in_indices=(0, 1)))
