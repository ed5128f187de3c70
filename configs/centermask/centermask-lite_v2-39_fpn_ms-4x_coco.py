# CenterMask-Lite V2-39-FPN ms-4x (centermask_lite_V_39_eSE_FPN_ms_4x.yaml:
# 36.7 mask / 40.9 box AP on COCO val2017).
_base_ = './centermask-lite_v2-19_fpn_ms-4x_coco.py'
model = dict(
    backbone=dict(
        arch='39',
        init_cfg=dict(
            checkpoint='https://dl.dropbox.com/s/q98pypf96rhtd8y/'
            'vovnet39_ese_detectron2.pth')))
