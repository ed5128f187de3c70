# CenterMask-Lite MobileNetV2-FPN ms-4x (centermask_lite_Mv2_FPN_ms_4x.yaml:
# 27.2 mask / 29.8 box AP on COCO val2017), with mmdet's MobileNetV2.
# Outputs after the 32-, 96- and 320-channel blocks (official features 6, 13,
# 17 = our out_indices 2, 4, 6), all BN frozen, nothing else frozen.
# Our choice: the official run starts from its own detectron2 MobileNetV2
# weights (caffe-style BGR input); we start from mmdet's ImageNet
# MobileNetV2 weights, which expect RGB input normalised by the ImageNet
# std, and set the data preprocessor accordingly.
_base_ = './centermask-lite_v2-19_fpn_ms-4x_coco.py'
model = dict(
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        _delete_=True,
        type='MobileNetV2',
        out_indices=(2, 4, 6),
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmdetection/v2.0/'
            'third_party/mobilenet_v2_batch256_imagenet-ff34753d.pth')),
    neck=dict(in_channels=[32, 96, 320]))
# mmdet's MobileNetV2 always runs its last 1x1 conv (1280 channels), which
# feeds no output here: DDP must tolerate parameters without gradient.
find_unused_parameters = True
