# CenterMask-Lite V2-19-Slim-DW-FPN ms-4x (centermask_lite_V_19_slim_dw_eSE_
# FPN_ms_4x.yaml: 27.1 mask / 29.5 box AP on COCO val2017): slim channels
# with depthwise-separable 3x3 convs (and a 64-64-64 stem).
_base_ = './centermask-lite_v2-19_fpn_ms-4x_coco.py'
model = dict(
    backbone=dict(
        arch='19-slim-dw',
        init_cfg=dict(
            checkpoint='https://www.dropbox.com/s/f3s7ospitqoals1/'
            'vovnet19_ese_slim_dw_detectron2.pth?dl=1')),
    neck=dict(in_channels=[256, 384, 512]))
