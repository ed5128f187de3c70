# Mask R-CNN R-50-FPN on LVIS v1, 1x with class-balanced sampling (1e-3) and
# multi-scale training (dataset base): the baseline of RefineMask's LVIS row
# (README: AP 22.1). 1203 classes, 300 detections per image with
# score >= 1e-4 (mmdet's LVIS Mask R-CNN test settings).
_base_ = [
    '../_base_/models/mask-rcnn_r50_fpn.py',
    '../_base_/datasets/lvis_v1_instance.py',
    '../_base_/schedules/schedule_1x.py', '../_base_/default_runtime.py'
]
model = dict(
    roi_head=dict(
        bbox_head=dict(num_classes=1203), mask_head=dict(num_classes=1203)),
    test_cfg=dict(rcnn=dict(score_thr=0.0001, max_per_img=300)))
