# CenterMask V2-99-FPN ms-3x (centermask_V_99_eSE_FPN_ms_3x.yaml: 41.4 mask
# AP / 46.0 box AP on COCO val2017, 42.5 / 48.6 with test-time augmentation,
# which is not part of this config).
_base_ = './centermask_v2-39_fpn_ms-3x_coco.py'
model = dict(
    backbone=dict(
        arch='99',
        init_cfg=dict(
            checkpoint='https://dl.dropbox.com/s/1mlv31coewx8trd/'
            'vovnet99_ese_detectron2.pth')))
