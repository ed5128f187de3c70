# EmbedMask R-101-FPN 1x (current version); official
# configs/embed_mask/embed_mask_R101_1x.yaml, README: 36.4 mask AP (minival).
_base_ = './embedmask_r50_fpn_1x_coco.py'
model = dict(
    backbone=dict(
        depth=101,
        init_cfg=dict(
            type='Pretrained',
            # catalog://ImageNetPretrained/MSRA/R-101
            checkpoint='https://download.openmmlab.com/pretrain/third_party/'
            'resnet101_msra-6cc46731.pth')))
