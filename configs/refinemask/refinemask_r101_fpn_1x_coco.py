# RefineMask R-101-FPN, COCO 1x (README: mask AP 38.6, AP* 41.8; baseline
# configs/mask_rcnn/mask-rcnn_r101_fpn_1x_coco.py).
_base_ = './refinemask_r50_fpn_1x_coco.py'
model = dict(
    backbone=dict(
        depth=101,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.pytorch.org/models/'
            'resnet101-63fe2227.pth')))
