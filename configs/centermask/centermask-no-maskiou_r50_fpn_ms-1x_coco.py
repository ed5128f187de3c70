# Ablation: CenterMask without the MaskIoU head (mask score = box score).
_base_ = './centermask_r50_fpn_ms-1x_coco.py'
model = dict(roi_head=dict(mask_iou_head=None))
