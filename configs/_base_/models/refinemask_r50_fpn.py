# RefineMask R-50-FPN (Zhang et al., CVPR 2021): Mask R-CNN whose RoI head
# gains a semantic head on P2 and whose mask head refines 14 -> 28 -> 56 ->
# 112 with Semantic Fusion Modules and the boundary-aware refinement loss.
# Values from the official configs (RM: configs/refinemask/coco/
# r50-refinemask-1x.py).
_base_ = './mask-rcnn_r50_fpn.py'
model = dict(
    roi_head=dict(
        type='RefineRoIHead',
        mask_chunk_size=100,  # RoIs per mask-head call at test time (RM)
        semantic_head=dict(
            type='RefineSemanticHead',
            in_channels=256,
            num_convs=4,
            conv_out_channels=256,
            with_logits=True,
            loss_semantic=dict(
                type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0)),
        # RefineMask doubles both box losses (RM configs)
        bbox_head=dict(
            loss_cls=dict(loss_weight=2.0), loss_bbox=dict(loss_weight=2.0)),
        mask_head=dict(
            _delete_=True,
            type='RefineMaskHead',
            num_convs=2,
            in_channels=256,
            conv_out_channels=256,
            num_classes=80,
            stage_sup_size=[14, 28, 56, 112],
            semantic_channels=256,
            semantic_stride=4,
            dilations=[1, 3, 5],
            mask_use_sigmoid=True,
            infer_start_stage=1,  # the 14x14 output is dropped at test time
            infer_boundary_width=1,
            loss_mask=dict(
                type='BoundaryAwareRefinementLoss',
                stage_weights=[0.25, 0.5, 0.75, 1.0],
                boundary_width=2,
                start_stage=1,
                loss_weight=1.0))))
