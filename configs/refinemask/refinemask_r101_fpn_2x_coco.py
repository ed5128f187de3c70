# RefineMask R-101-FPN, COCO 2x (README: mask AP 39.0, AP* 42.4; baseline
# configs/mask_rcnn/mask-rcnn_r101_fpn_2x_coco.py).
_base_ = './refinemask_r50_fpn_2x_coco.py'
model = dict(
    backbone=dict(
        depth=101,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.pytorch.org/models/'
            'resnet101-63fe2227.pth')))
