# EmbedMask (current version) on the built-in shapes dataset: the CPU-sized
# model (_base_/models/embedmask_r18-w32_fpn.py) with the data, batch and
# schedule of the shapes baseline (configs/mask_rcnn/
# mask-rcnn_r18-w32_fpn_shapes.py: 128x128 images, batch 8, AdamW, 800
# iterations); the learning rate doubled to 2e-3, as for the other one-stage
# methods' shapes configs. The FCOS size ranges 4x the stride (the model
# file) label objects over ~32 px from P3/P4, whose features have passed
# through more of the from-scratch backbone than P2's. The runs behind these
# values: docs/shapes_study.md, EmbedMask.
_base_ = [
    '../_base_/models/embedmask_r18-w32_fpn.py',
    '../_base_/datasets/shapes_instance.py',
    '../_base_/schedules/schedule_shapes.py',
    '../_base_/default_runtime_iter.py'
]
default_hooks = dict(checkpoint=dict(interval=500))
optim_wrapper = dict(optimizer=dict(lr=2e-3))
