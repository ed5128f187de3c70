# CenterMask V2-39-FPN, multi-scale 3x, COCO (centermask2
# configs/centermask/centermask_V_39_eSE_FPN_ms_3x.yaml: 39.7 mask AP /
# 44.2 box AP on val2017). Batch 16 (8 GPUs x 2), SGD lr 0.01, 270k
# iterations with steps at 210k/250k, short side 640..800 step 32 / max 1333,
# test 800 / 1333.
_base_ = [
    '../_base_/models/centermask_v2-39_fpn.py',
    '../_base_/datasets/coco_instance_ms.py',
    '../_base_/schedules/schedule_iter_3x.py',
    '../_base_/default_runtime_iter.py'
]
# detectron2's SOLVER.WEIGHT_DECAY_NORM = 0: no weight decay on GN/BN
optim_wrapper = dict(paramwise_cfg=dict(norm_decay_mult=0.0))
default_hooks = dict(checkpoint=dict(interval=10000))  # CHECKPOINT_PERIOD
