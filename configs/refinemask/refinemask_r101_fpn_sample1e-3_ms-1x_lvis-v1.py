# RefineMask R-101-FPN on LVIS v1: the README's row (AP 27.1, APr 15.6,
# APc 26.2, APf 33.1; Mask R-CNN 23.7). The official repository has no
# config for it; this one is the R-50 config with a ResNet-101 [unverified].
_base_ = './refinemask_r50_fpn_sample1e-3_ms-1x_lvis-v1.py'
model = dict(
    backbone=dict(
        depth=101,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.pytorch.org/models/'
            'resnet101-63fe2227.pth')))
