# CenterMask-Lite V2-19-FPN ms-4x (centermask2
# centermask_lite_V_19_eSE_FPN_ms_4x.yaml: 32.8 mask / 35.9 box AP on COCO
# val2017). Lite = 128-channel FPN, 2+2 FCOS tower convs, 2-conv 128-channel
# SAG-Mask and MaskIoU heads (Base-CenterMask-Lite-VoVNet.yaml); short side
# 580 or 600 / max 1000 for training, 600 / 1000 for testing; 4x = 360k
# iterations, steps at 300k/340k, batch 16, lr 0.01.
_base_ = [
    '../_base_/models/centermask_v2-39_fpn.py',
    '../_base_/datasets/coco_instance.py',
    '../_base_/schedules/schedule_iter_4x.py',
    '../_base_/default_runtime_iter.py'
]
model = dict(
    backbone=dict(
        arch='19',
        init_cfg=dict(
            checkpoint='https://dl.dropbox.com/s/rptgw6stppbiw1u/'
            'vovnet19_ese_detectron2.pth')),
    neck=dict(in_channels=[512, 768, 1024], out_channels=128),
    bbox_head=dict(in_channels=128, feat_channels=128, stacked_convs=2),
    roi_head=dict(
        mask_roi_extractor=dict(out_channels=128),
        mask_head=dict(num_convs=2, in_channels=128, conv_out_channels=128),
        mask_iou_head=dict(
            num_convs=2, in_channels=128, conv_out_channels=128)))

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='RandomChoiceResize',
        scales=[(1000, 580), (1000, 600)],
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='Resize', scale=(1000, 600), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
# detectron2's SOLVER.WEIGHT_DECAY_NORM = 0: no weight decay on GN/BN
optim_wrapper = dict(paramwise_cfg=dict(norm_decay_mult=0.0))
default_hooks = dict(checkpoint=dict(interval=10000))  # CHECKPOINT_PERIOD
