# Mask R-CNN R-50-FPN on Cityscapes: the baseline of RefineMask's
# Cityscapes row (README: AP 33.8). Same data, schedule and ImageNet
# initialisation as configs/refinemask/refinemask_r50_fpn_1x_cityscapes.py;
# mmdet's Cityscapes box loss (SmoothL1, beta 1, weight 1). mmdet's own
# Cityscapes Mask R-CNN starts from a COCO model instead (load_from); the
# RefineMask authors' baseline recipe is not published [unverified].
_base_ = [
    '../_base_/models/mask-rcnn_r50_fpn.py',
    '../_base_/datasets/cityscapes_instance.py',
    '../_base_/schedules/schedule_cityscapes_8e.py',
    '../_base_/default_runtime.py'
]
model = dict(
    roi_head=dict(
        bbox_head=dict(
            num_classes=8,
            loss_bbox=dict(
                _delete_=True, type='SmoothL1Loss', beta=1.0,
                loss_weight=1.0)),
        mask_head=dict(num_classes=8)))
train_dataloader = dict(batch_size=2)
