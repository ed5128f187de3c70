# CenterMask R-50-FPN, 1x (90k iterations, steps 60k/80k): the full model of
# the mask-branch ablation (CenterMask paper, Table 2 [unverified: we read
# the ablations as R-50-FPN with the 1x schedule]). The cumulative rows:
#   centermask-fpn-level-no-sam-no-maskiou_*  FCOS + Mask R-CNN mask head
#   centermask-no-sam-no-maskiou_*            + adaptive RoI assignment
#   centermask-no-maskiou_*                   + SAM (SAG-Mask)
#   centermask_r50_fpn_ms-1x_coco.py          + MaskIoU (full CenterMask)
# and centermask-fpn-level_* (FPN's Eq. 1 instead of Eq. 2 in the full model).
_base_ = './centermask_r50_fpn_ms-3x_coco.py'
train_cfg = dict(max_iters=90000, val_interval=10000)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
         end=1000),
    dict(type='MultiStepLR', begin=0, end=90000, by_epoch=False,
         milestones=[60000, 80000], gamma=0.1)
]
