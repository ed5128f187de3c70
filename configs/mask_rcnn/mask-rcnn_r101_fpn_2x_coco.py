# Mask R-CNN R-101-FPN, COCO 2x (mmdet: box AP 40.8, mask AP 36.6; the
# baseline of RefineMask R-101 2x in its README).
_base_ = './mask-rcnn_r50_fpn_2x_coco.py'
model = dict(
    backbone=dict(
        depth=101,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.pytorch.org/models/'
            'resnet101-63fe2227.pth')))
