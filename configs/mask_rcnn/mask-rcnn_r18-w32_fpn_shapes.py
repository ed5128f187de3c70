# Mask R-CNN on the built-in shapes dataset: the main job of the README and
# the baseline that every method's shapes config is compared against. The
# model (_base_/models/mask-rcnn_r18-w32_fpn.py) is a half-width ResNet-18
# from scratch with a 64-channel FPN; the shapes schedule (800 iterations).
_base_ = [
    '../_base_/models/mask-rcnn_r18-w32_fpn.py',
    '../_base_/datasets/shapes_instance.py',
    '../_base_/schedules/schedule_shapes.py',
    '../_base_/default_runtime_iter.py'
]
default_hooks = dict(checkpoint=dict(interval=500))
