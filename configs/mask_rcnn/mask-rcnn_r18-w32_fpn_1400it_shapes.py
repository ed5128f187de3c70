# The shapes baseline (mask-rcnn_r18-w32_fpn_shapes.py) on a 1400-iteration
# schedule: the comparison for shapes configs that use that schedule
# (centermask-point_r18-w32_dla-up_bf16-1400it_shapes.py). float32, as the
# baseline: about 1.75x its 800 iterations' time.
_base_ = './mask-rcnn_r18-w32_fpn_shapes.py'
# schedule_shapes.py stretched: lr x0.1 at 75% and 90%, one evaluation
max_iters = 1400
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=100),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[int(max_iters * 0.75), int(max_iters * 0.9)],
        gamma=0.1)
]
