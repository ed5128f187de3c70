# SpatialEmbeddings (Neven et al., CVPR 2019) with BranchedERFNet: the ERFNet
# encoder as backbone and two ERFNet decoders (2 offsets + n_sigma
# bandwidths; one seed map per class) as the head. Values are those of the
# released cars model (SpatialEmbeddings src/train_config.py, src/test.py).
model = dict(
    type='SpatialEmbeddings',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        # the original code feeds RGB images scaled to [0, 1] (ToTensor)
        mean=[0.0, 0.0, 0.0],
        std=[255.0, 255.0, 255.0],
        bgr_to_rgb=True,
        pad_size_divisor=8),  # three stride-2 downsamplers
    backbone=dict(type='ERFNet', out_indices=(2, ), init_cfg=None),
    mask_head=dict(
        type='SpatialEmbeddingHead',
        num_classes=1,
        in_channels=128,
        n_sigma=1,  # circular bandwidth (2: elliptical)
        # step of the original 2048x1024 -> [0,2]x[0,1] coordinate buffer
        pixel_pitch=(2 / 2047, 1 / 1023),
        sigma_init_bias=1.0,
        # precision exp(10 s) of the clustering's Gaussians (Eq. 6), the
        # value the loss trains with (loss.sigma_scale)
        sigma_scale=10.0,
        loss=dict(
            type='SpatialEmbeddingLoss',
            to_center=True,  # False: the paper's learnable center
            foreground_weight=10.0,
            sigma_scale=10.0,
            instance_weight=1.0,
            variance_weight=10.0,
            seed_weight=1.0)),
    test_cfg=dict(
        clustering='fast',  # 'plain': the step-by-step reference
        seed_thr=0.9,  # src/test.py since commit 213b5fa (0.5 before)
        candidate_thr=0.5,
        fg_thr=0.5,
        min_pixels=128,
        min_unclustered_ratio=0.5,
        mask_thr=0.5,
        # not in the original (which keeps every instance): bounds time and
        # memory when seeds are poor (an untrained model gives thousands of
        # small clusters); the greedy order makes it a top-100 by score
        max_per_img=100))
