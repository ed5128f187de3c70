# The shapes baseline (configs/mask_rcnn/mask-rcnn_r18-w32_fpn_shapes.py) on
# the 1400-iteration schedule, in float32: the comparison for
# centermask-point_r18-w32_dla-up_bf16-1400it_shapes.py.
_base_ = [
    '../_base_/models/mask-rcnn_r18-w32_fpn.py',
    '../_base_/datasets/shapes_instance.py',
    '../_base_/schedules/schedule_shapes_1400it.py',
    '../_base_/default_runtime_iter.py'
]
default_hooks = dict(checkpoint=dict(interval=500))
