# Ablation: FCOS + Mask R-CNN's mask head with the adaptive RoI assignment
# (no SAM, no MaskIoU).
_base_ = './centermask-no-maskiou_r50_fpn_ms-1x_coco.py'
model = dict(roi_head=dict(mask_head=dict(with_sam=False)))
