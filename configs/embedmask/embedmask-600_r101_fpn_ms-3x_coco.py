# EmbedMask-600 R-101-FPN: the speed variant of the paper's speed table
# (21.7 fps on a V100): the R-101 ms-3x model tested with the shorter side at
# 600 pixels. [unverified] the longer-side limit (1000 here, the usual
# companion of 600) and whether the model was trained at 600.
_base_ = './embedmask_r101_fpn_ms-3x_coco.py'
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='Resize', scale=(1000, 600), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
