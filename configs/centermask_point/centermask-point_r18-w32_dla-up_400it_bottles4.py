# CenterMask-Point's CPU-sized model (as in
# centermask-point_r18-w32_dla-up_shapes.py) on bottles4, with the data and
# schedule of the Mask R-CNN baseline
# configs/mask_rcnn/mask-rcnn_r18-w32_fpn_400it_bottles4.py (long side 256
# px, batch 4) and the shapes config's learning rate. Unlike the shapes
# config, the input is not doubled: the bottles are 40-200 px at 256 px,
# 10-50 cells of the stride-4 grid.
_base_ = [
    '../_base_/models/centermask-point_r18-w32_dla-up.py',
    '../_base_/datasets/bottles4_instance.py',
    '../_base_/schedules/schedule_shapes_400it.py',
    '../_base_/default_runtime_iter.py'
]
optim_wrapper = dict(optimizer=dict(lr=4e-3))
default_hooks = dict(checkpoint=dict(interval=400))
