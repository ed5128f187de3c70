# SpatialEmbeddings (BranchedERFNet) on the built-in shapes dataset: the
# shapes baseline's data, schedule (800 iterations, AdamW 1e-3, batch 8) and
# evaluation, so that its segm AP compares with
# configs/mask_rcnn/mask-rcnn_r18-w32_fpn_shapes.py. The network is the
# paper's ERFNet encoder + two decoders, trained from scratch as in the
# paper; only the clustering thresholds are adapted to 128x128 images.
_base_ = [
    '../_base_/datasets/shapes_instance.py',
    '../_base_/schedules/schedule_shapes.py',
    '../_base_/default_runtime_iter.py'
]
num_classes = 4
model = dict(
    type='SpatialEmbeddings',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        # the original code feeds RGB images scaled to [0, 1]
        mean=[0.0, 0.0, 0.0],
        std=[255.0, 255.0, 255.0],
        bgr_to_rgb=True,
        pad_size_divisor=8),  # ERFNet: three stride-2 downsamplers
    backbone=dict(type='ERFNet', out_indices=(2, )),
    mask_head=dict(
        type='SpatialEmbeddingHead',
        num_classes=num_classes,
        in_channels=128,
        n_sigma=1,
        loss=dict(
            type='SpatialEmbeddingLoss',
            to_center=True,
            foreground_weight=10.0,
            instance_weight=1.0,
            variance_weight=10.0,
            seed_weight=1.0)),
    test_cfg=dict(
        clustering='fast',
        # the released test threshold is 0.9; 0.5 (the original default)
        # keeps the lower-seed instances of a short training for AP
        seed_thr=0.5,
        # objects here have 12..2800 pixels (Cityscapes: 128 min pixels)
        min_pixels=8,
        max_per_img=100))
default_hooks = dict(checkpoint=dict(interval=400))
