# RefineMask on shapes (configs/refinemask/refinemask_r18-w32_fpn_shapes.py)
# on the 400-iteration schedule, which fits a 15-minute budget on 2 CPU
# cores; its baseline is mask-rcnn_r18-w32_fpn_400it_shapes.py.
_base_ = [
    '../_base_/models/refinemask_r18-w32_fpn.py',
    '../_base_/datasets/shapes_instance.py',
    '../_base_/schedules/schedule_shapes_400it.py',
    '../_base_/default_runtime_iter.py'
]
default_hooks = dict(checkpoint=dict(interval=500))
