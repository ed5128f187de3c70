# CenterMask R-101-FPN ms-3x (centermask2 centermask_R_101_FPN_ms_3x.yaml;
# the CenterMask paper reports 38.3 mask / 43.1 box AP on COCO test-dev for
# its maskrcnn-benchmark R-101 model, 24 epochs).
_base_ = './centermask_r50_fpn_ms-3x_coco.py'
model = dict(
    backbone=dict(
        depth=101,
        init_cfg=dict(
            # detectron2://ImageNetPretrained/MSRA/R-101.pkl
            checkpoint='https://download.openmmlab.com/pretrain/third_party/'
            'resnet101_msra-6cc46731.pth')))
