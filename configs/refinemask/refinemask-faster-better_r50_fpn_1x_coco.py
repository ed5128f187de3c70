# The 'faster-better' RefineMask of the official repository (2021-12, RM:
# configs/refinemask/coco/r50-refinemask-1x-faster-better.py): no semantic
# mask and no semantic loss (the semantic convs learn through the mask
# losses), point-sampled semantic RoI features, a global-average branch in
# the fusion, class-agnostic last stage computed at 56 and upsampled,
# stage weights (0.5, 0.75, 0.75, 1.0). The official README gives no AP for
# it [unverified]; it trains with 2 images per GPU in < 11 GB.
_base_ = './refinemask_r50_fpn_1x_coco.py'
model = dict(
    roi_head=dict(
        semantic_head=dict(with_logits=False),
        mask_head=dict(
            _delete_=True,
            type='SimpleRefineMaskHead',
            num_convs=2,
            in_channels=256,
            conv_out_channels=256,
            num_classes=80,
            stage_num_classes=[80, 80, 80, 1],
            stage_sup_size=[14, 28, 56, 112],
            semantic_channels=256,
            dilations=[1, 3, 5],
            with_global_avg=True,
            pre_upsample_last_stage=False,
            loss_mask=dict(
                type='BoundaryAwareRefinementLoss',
                stage_weights=[0.5, 0.75, 0.75, 1.0],
                boundary_width=2,
                start_stage=1))))
