# Mask R-CNN R-50-FPN, COCO 1x: mmdet 3.x's configuration (box AP 38.2,
# mask AP 34.7 in mmdet's model zoo).
_base_ = [
    '../_base_/models/mask-rcnn_r50_fpn.py',
    '../_base_/datasets/coco_instance.py',
    '../_base_/schedules/schedule_1x.py', '../_base_/default_runtime.py'
]
