# Mask R-CNN R-50-FPN, COCO 2x (mmdet: box AP 39.2, mask AP 35.4).
_base_ = [
    '../_base_/models/mask-rcnn_r50_fpn.py',
    '../_base_/datasets/coco_instance.py',
    '../_base_/schedules/schedule_2x.py', '../_base_/default_runtime.py'
]
