# RefineMask on the built-in shapes dataset, compared with the Mask R-CNN
# baseline configs/mask_rcnn/mask-rcnn_r18-w32_fpn_shapes.py (same
# ResNet-18 w32 backbone, 64-channel FPN, data, schedule and iterations).
# The paper's heads at a quarter of their width: semantic head and instance
# convs with 64 channels, stages 64 -> 32 -> 16 -> 8 channels at
# 14 -> 28 -> 56 -> 112; BAR loss with the paper's stage weights (the head's
# defaults) and box losses x2 (as in the paper).
_base_ = '../mask_rcnn/mask-rcnn_r18-w32_fpn_shapes.py'
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
            num_classes=num_classes)))
