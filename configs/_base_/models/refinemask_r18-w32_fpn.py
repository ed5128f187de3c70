# RefineMask (Zhang et al., CVPR 2021) at the scale of the built-in shapes
# dataset: the shapes Mask R-CNN (mask-rcnn_r18-w32_fpn.py) whose RoI head
# gains the semantic head and the refining mask head of the paper at a
# quarter of their width (64 channels; stages 64 -> 32 -> 16), box losses x2.
# The stages stop at 56x56 (14 -> 28 -> 56): the shapes are 8-64 px large,
# and a 112x112 mask would only upsample them [our choice]. BAR loss as in
# the paper: full BCE at 14 and 28, boundary region at 56, the paper's
# weights of those stages (0.25, 0.5, 0.75).
_base_ = './mask-rcnn_r18-w32_fpn.py'
num_classes = 4
model = dict(
    roi_head=dict(
        type='RefineRoIHead',
        semantic_head=dict(
            type='RefineSemanticHead', in_channels=64, conv_out_channels=64),
        bbox_head=dict(
            loss_cls=dict(loss_weight=2.0), loss_bbox=dict(loss_weight=2.0)),
        mask_head=dict(
            _delete_=True,
            type='RefineMaskHead',
            in_channels=64,
            conv_out_channels=64,
            semantic_channels=64,
            num_classes=num_classes,
            stage_sup_size=[14, 28, 56],
            loss_mask=dict(
                type='BoundaryAwareRefinementLoss',
                stage_weights=[0.25, 0.5, 0.75],
                boundary_width=2,
                start_stage=1))))
