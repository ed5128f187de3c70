# Mask R-CNN R-101-FPN, COCO 1x (mmdet: box AP 40.0, mask AP 36.1; the
# baseline of RefineMask R-101 1x in its README).
_base_ = './mask-rcnn_r50_fpn_1x_coco.py'
model = dict(
    backbone=dict(
        depth=101,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.pytorch.org/models/'
            'resnet101-63fe2227.pth')))
