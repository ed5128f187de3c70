# RefineMask R-50-FPN, COCO 2x (README: mask AP 37.8, AP* 41.2; baseline
# configs/mask_rcnn/mask-rcnn_r50_fpn_2x_coco.py): 24 epochs, lr steps at
# epochs 16 and 22.
_base_ = './refinemask_r50_fpn_1x_coco.py'
max_epochs = 24
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_epochs,
        by_epoch=True,
        milestones=[16, 22],
        gamma=0.1)
]
