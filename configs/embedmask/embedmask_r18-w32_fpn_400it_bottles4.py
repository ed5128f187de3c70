# EmbedMask's CPU-sized model (as in embedmask_r18-w32_fpn_shapes.py) on
# bottles4, with the data and schedule of the Mask R-CNN baseline
# configs/mask_rcnn/mask-rcnn_r18-w32_fpn_400it_bottles4.py and the shapes
# config's learning rate.
_base_ = [
    '../_base_/models/embedmask_r18-w32_fpn.py',
    '../_base_/datasets/bottles4_instance.py',
    '../_base_/schedules/schedule_shapes_400it.py',
    '../_base_/default_runtime_iter.py'
]
optim_wrapper = dict(optimizer=dict(lr=2e-3))
default_hooks = dict(checkpoint=dict(interval=400))
