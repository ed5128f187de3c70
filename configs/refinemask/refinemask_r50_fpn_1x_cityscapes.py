# RefineMask R-50-FPN on Cityscapes (README: AP 37.6, APs 14.0, APm 35.4,
# APl 57.9 = COCO-style AP on instancesonly_filtered_gtFine_val.json;
# baseline configs/mask_rcnn/mask-rcnn_r50_fpn_1x_cityscapes.py: 33.8).
# RM: configs/refinemask/cityscapes/r50-refinemask.py: ImageNet
# initialisation, 8 classes, SmoothL1 box loss (beta 1, weight 2), short
# side 800-1024 (dataset base), RepeatDataset x8 (dataset base), SGD lr 0.01
# for 16 images (8 GPUs x 2), 8 epochs with a step at 7, gradient clipping
# at 35.
_base_ = [
    '../_base_/models/refinemask_r50_fpn.py',
    '../_base_/datasets/cityscapes_instance.py',
    '../_base_/schedules/schedule_cityscapes_8e.py',
    '../_base_/default_runtime.py'
]
num_classes = 8
model = dict(
    roi_head=dict(
        bbox_head=dict(
            num_classes=num_classes,
            loss_bbox=dict(
                _delete_=True, type='SmoothL1Loss', beta=1.0,
                loss_weight=2.0)),
        mask_head=dict(num_classes=num_classes)))
train_dataloader = dict(batch_size=2)
optim_wrapper = dict(clip_grad=dict(max_norm=35, norm_type=2))
