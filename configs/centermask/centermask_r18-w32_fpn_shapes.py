# CenterMask on the built-in shapes dataset, compared with
# configs/mask_rcnn/mask-rcnn_r18-w32_fpn_shapes.py: the CPU-sized model
# (_base_/models/centermask_r18-w32_fpn.py: the baseline's backbone and
# neck), 128x128 images, batch 8, 800 iterations of AdamW at 2e-3 (the
# baseline's 1e-3 doubled, as for the other one-stage methods; our choice).
# The runs behind each value: docs/shapes_study.md, CenterMask.
_base_ = [
    '../_base_/models/centermask_r18-w32_fpn.py',
    '../_base_/datasets/shapes_instance.py',
    '../_base_/schedules/schedule_shapes.py',
    '../_base_/default_runtime_iter.py'
]
optim_wrapper = dict(optimizer=dict(lr=2e-3))
default_hooks = dict(checkpoint=dict(interval=500))
