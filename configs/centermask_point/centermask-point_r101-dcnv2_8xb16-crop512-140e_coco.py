# CenterMask with ResNet-101 and CenterNet's deconvolution neck (three
# DCNv2 + 4x4 deconv stages to stride 4, mmdet's CTResNetNeck), as CenterNet's
# "ResNet-101 + DCN" model. The paper lists no number for this backbone in our
# spec [unverified]; the recipe is the DLA-34 one.
_base_ = './centermask-point_dla34-dcnv2_8xb16-crop512-140e_coco.py'
model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=101,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.pytorch.org/models/'
            'resnet101-63fe2227.pth')),
    neck=dict(
        _delete_=True,
        type='CTResNetNeck',
        in_channels=2048,
        num_deconv_filters=(256, 128, 64),
        num_deconv_kernels=(4, 4, 4),
        use_dcn=True))
