# Ablation: FCOS + Mask R-CNN's mask head with FPN's RoI assignment (Eq. 1,
# k = floor(4 + log2(sqrt(wh) / 224)) on P3-P5). mmdet's SingleRoIExtractor
# rule floor(log2(sqrt(wh) / finest_scale)) on strides 8-32 is exactly Eq. 1
# with finest_scale = 112.
_base_ = './centermask-no-sam-no-maskiou_r50_fpn_ms-1x_coco.py'
model = dict(
    roi_head=dict(
        mask_roi_extractor=dict(type='SingleRoIExtractor',
                                finest_scale=112)))
