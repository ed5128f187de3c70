# Mask R-CNN R-101-FPN on LVIS v1, 1x (RefineMask README baseline: 23.7).
_base_ = './mask-rcnn_r50_fpn_sample1e-3_ms-1x_lvis-v1.py'
model = dict(
    backbone=dict(
        depth=101,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.pytorch.org/models/'
            'resnet101-63fe2227.pth')))
