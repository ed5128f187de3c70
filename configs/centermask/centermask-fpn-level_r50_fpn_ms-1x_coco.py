# Ablation: the full CenterMask with FPN's RoI assignment (Eq. 1) instead of
# the adaptive one (Eq. 2); see centermask-fpn-level-no-sam-no-maskiou_*.
_base_ = './centermask_r50_fpn_ms-1x_coco.py'
model = dict(
    roi_head=dict(
        mask_roi_extractor=dict(type='SingleRoIExtractor',
                                finest_scale=112)))
