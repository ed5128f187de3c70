# CenterMask-Point on shapes
# (configs/centermask_point/centermask-point_r18-w32_dla-up_shapes.py) for
# 1400 iterations instead of 800 within the same CPU budget: bfloat16
# autocast (CPUAutocastOptimWrapper; parameters, gradients and Adam state
# stay float32) and channels-last weights (ChannelsLastHook) make an
# iteration cheaper on a CPU with bfloat16 units (AVX512-BF16/AMX). Model,
# data, learning rate and evaluation are those of the 800-iteration config;
# its baseline is mask-rcnn_r18-w32_fpn_1400it_shapes.py (float32). On a
# CPU without bfloat16 units autocast is slower than float32 (the wrapper
# warns): --cfg-options optim_wrapper.enabled=False there.
_base_ = '../centermask_point/centermask-point_r18-w32_dla-up_shapes.py'
# 1400 iterations with one lr step (x0.1) at 90% [our choice, instead of the
# shapes schedule's two at 75% and 90%; see the CenterMask-Point README];
# one evaluation
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
        milestones=[int(max_iters * 0.9)],
        gamma=0.1)
]
optim_wrapper = dict(type='CPUAutocastOptimWrapper', dtype='bfloat16')
custom_hooks = [dict(type='ChannelsLastHook')]
default_hooks = dict(checkpoint=dict(interval=max_iters))
