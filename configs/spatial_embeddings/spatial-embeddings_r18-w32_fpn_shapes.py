# SpatialEmbeddings on the built-in shapes dataset with the shapes baseline's
# backbone: the half-width ResNet-18 (base_channels=32, BN from scratch) and a
# 64-channel FPN of configs/mask_rcnn/mask-rcnn_r18-w32_fpn_shapes.py, with
# the two BranchedERFNet decoders on the stride-4 level P2 (their first
# upsampler becomes a stride-1 conv, so they upsample x4). Same data,
# schedule (800 iterations, AdamW 1e-3) and evaluation as the baseline, so the segm APs compare directly; the batch is
# the paper's 16 (the baseline's: 8), which the 15-minute budget allows
# because an iteration of this model costs about half of Mask R-CNN's. With the
# paper's ERFNet encoder (spatial-embeddings_erfnet_shapes.py) the network
# has 2x the FLOPs (1.0 vs 0.5 GFLOPs at 128x128) and runs ~7x slower on
# CPU (factorised/dilated convs, full-resolution layers): see the README.
_base_ = './spatial-embeddings_erfnet_shapes.py'
model = dict(
    data_preprocessor=dict(
        # the baseline's normalisation and padding (ResNet strides up to 32)
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        pad_size_divisor=32),
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=18,
        base_channels=32,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        init_cfg=None),
    neck=dict(
        type='FPN',
        in_channels=[32, 64, 128, 256],
        out_channels=64,
        num_outs=4),  # P2..P5: the head reads P2 (stride 4) only
    # P2, not ERFNet's stride 8: the class of an 8-64 px shape is in its
    # outline, which P3 blurs. Seeds 0-2: segm AP 0.160 / 0.155 / 0.148 on
    # P3 -> 0.347 / 0.219 / 0.225 on P2 (other-class weight 1; seeds 0-5
    # average 1.02x the seed-matched baseline, README)
    mask_head=dict(
        in_channels=64,
        in_index=0,
        in_stride=4,
        # Seed loss: the pixels of an object of another class count 3x as
        # background of map c (our choice; 1 in the released single-class
        # formula, kept by the Cityscapes configs). With 1 the one-vs-all
        # maps stayed class-agnostic at about one seed in four (0.39-0.57x
        # the baseline); with 3 the mean over 22 seeds is 1.22x, none
        # below 0.91x (README, "The config: other-class weight 3")
        loss=dict(other_class_weight=3.0)))
# The paper's batch of 16 images: segm AP 0.121 / 0.110 / 0.123 -> 0.158 /
# 0.141 / 0.149 at seeds 0 / 1 / 2 against batch 8 (decoders on P3). With
# the decoders on P2: 6 min 52 s alone on 2 threads (README).
train_dataloader = dict(batch_size=16)
