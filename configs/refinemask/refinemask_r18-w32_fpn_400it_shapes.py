# RefineMask on shapes (refinemask_r18-w32_fpn_shapes.py) on the
# 400-iteration schedule, the one that trains within the 15-minute CPU
# budget; its baseline is mask-rcnn_r18-w32_fpn_400it_shapes.py.
_base_ = './refinemask_r18-w32_fpn_shapes.py'
# schedule_shapes.py at half length: lr x0.1 at 75% and 90%, one evaluation
max_iters = 400
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
