# EmbedMask R-50-FPN 1x, current (IJCAI 2021) version of yinghdb/EmbedMask:
# D=16 embeddings with 2 spatial channels, one margin per dimension, one
# proposal (the max-IoU location) per instance, Lovasz weight 0.5, mask
# threshold 0.53. Official configs/embed_mask/embed_mask_R50_1x.yaml: batch 16,
# lr 0.01, 90k iterations, steps 60k/80k, constant warm-up 1/3 for 500
# iterations; COCO 2014 train + valminusminival (= train2017), tested on
# minival (= val2017). Official README: 34.7 mask AP.
_base_ = [
    '../_base_/models/embedmask_r50_fpn.py',
    '../_base_/datasets/coco_instance.py',
    '../_base_/schedules/schedule_iter_1x.py',
    '../_base_/default_runtime_iter.py'
]

# maskrcnn-benchmark solver: BIAS_LR_FACTOR 2, WEIGHT_DECAY_BIAS 0
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001),
    paramwise_cfg=dict(bias_lr_mult=2., bias_decay_mult=0.))
# WARMUP_METHOD "constant": lr x 1/3 for the first 500 iterations
param_scheduler = [
    dict(
        type='ConstantLR',
        factor=1.0 / 3,
        by_epoch=False,
        begin=0,
        end=500),
    dict(
        type='MultiStepLR',
        begin=0,
        end=90000,
        by_epoch=False,
        milestones=[60000, 80000],
        gamma=0.1)
]
