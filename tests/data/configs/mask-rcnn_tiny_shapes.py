# A very small Mask R-CNN on a tiny shapes set, for the tool tests.
_base_ = '../../../configs/mask_rcnn/mask-rcnn_r18-w32_fpn_shapes.py'
model = dict(
    backbone=dict(base_channels=8),
    neck=dict(in_channels=[8, 16, 32, 64], out_channels=16),
    rpn_head=dict(in_channels=16, feat_channels=16),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=16),
        bbox_head=dict(in_channels=16, fc_out_channels=32),
        mask_roi_extractor=dict(out_channels=16),
        mask_head=dict(in_channels=16, conv_out_channels=16, num_convs=1)))
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False)
val_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False)
test_dataloader = val_dataloader
train_cfg = dict(max_iters=6, val_interval=6)
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False)]
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=2, max_keep_ckpts=-1))
log_processor = dict(window_size=1)
