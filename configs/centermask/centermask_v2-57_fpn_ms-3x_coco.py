# CenterMask V2-57-FPN ms-3x (centermask_V_57_eSE_FPN_ms_3x.yaml: 40.5 mask
# AP / 45.1 box AP on COCO val2017); only the backbone depth differs from
# the V2-39 config.
_base_ = './centermask_v2-39_fpn_ms-3x_coco.py'
model = dict(
    backbone=dict(
        arch='57',
        init_cfg=dict(
            checkpoint='https://dl.dropbox.com/s/8xl0cb3jj51f45a/'
            'vovnet57_ese_detectron2.pth')))
