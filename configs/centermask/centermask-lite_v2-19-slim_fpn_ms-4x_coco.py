# CenterMask-Lite V2-19-Slim-FPN ms-4x (centermask_lite_V_19_slim_eSE_FPN_
# ms_4x.yaml: 29.8 mask / 32.5 box AP on COCO val2017). Slim halves the
# stage channels (3x3 convs 64/80/96/112, outputs 112/256/384/512).
_base_ = './centermask-lite_v2-19_fpn_ms-4x_coco.py'
model = dict(
    backbone=dict(
        arch='19-slim',
        init_cfg=dict(
            checkpoint='https://www.dropbox.com/s/8h5ybmi4ftbcom0/'
            'vovnet19_ese_slim_detectron2.pth?dl=1')),
    neck=dict(in_channels=[256, 384, 512]))
