# EmbedMask R-50-FPN 1x, arXiv v1 version (yinghdb/EmbedMask at be2885b,
# arXiv 1912.01954): D=32 embeddings without coordinates, one scalar margin
# exp(1x1 conv(detached (l, t, r, b) / 800)), the mean of the proposals with
# IoU > 0.5 per instance, mask loss over the GT box padded by 10% + 1 cell,
# smooth loss weight 0.1, threshold 0.5 (EMBED_DIM 32, SAMPLE_POS_IOU_TH 0.5,
# BOX_PADDING 0.1, LOSS_SMOOTH_ALPHA 0.1, BOX_TO_MARGIN_SCALE 800,
# BOX_TO_MARGIN_BLOCK True, MASK_TH 0.5). Same schedule as the current R-50.
_base_ = './embedmask_r50_fpn_1x_coco.py'
model = dict(
    bbox_head=dict(
        embed_dims=32,
        margin_channels=1,
        margin_source='box',
        box_to_margin_scale=800.,
        detach_box_to_margin=True,
        proposal_sampling='iou_thr',
        pos_iou_thr=0.5),
    mask_head=dict(
        embed_dims=32,
        num_spatial_dims=0,
        loss_smooth=dict(type='EmbeddingSmoothLoss', loss_weight=0.1),
        loss_box_padding=0.1),
    # [unverified] v1's test-time box padding: the code snapshot we could
    # read pads by 2 cells as the current version does
    test_cfg=dict(mask_thr=0.5))
