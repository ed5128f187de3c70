# CenterMask R-50-FPN ms-3x (centermask2 centermask_R_50_FPN_ms_3x.yaml;
# the centermask2 README publishes no number for it). detectron2's MSRA
# ResNet: caffe style (stride in the 1x1 conv), FrozenBN, FREEZE_AT 2 (stem
# and res2 frozen), C3-C5 into the FPN.
_base_ = './centermask_v2-39_fpn_ms-3x_coco.py'
model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(1, 2, 3),
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True,
        style='caffe',
        init_cfg=dict(
            type='Pretrained',
            # detectron2://ImageNetPretrained/MSRA/R-50.pkl
            checkpoint='https://download.openmmlab.com/pretrain/third_party/'
            'resnet50_msra-5891d200.pth')),
    neck=dict(in_channels=[512, 1024, 2048]))
