# RefineMask on the built-in shapes dataset, compared with the Mask R-CNN
# baseline configs/mask_rcnn/mask-rcnn_r18-w32_fpn_shapes.py: same ResNet-18
# w32 backbone, 64-channel FPN, data, schedule and iterations; the heads are
# described in _base_/models/refinemask_r18-w32_fpn.py.
_base_ = [
    '../_base_/models/refinemask_r18-w32_fpn.py',
    '../_base_/datasets/shapes_instance.py',
    '../_base_/schedules/schedule_shapes.py',
    '../_base_/default_runtime_iter.py'
]
default_hooks = dict(checkpoint=dict(interval=500))
