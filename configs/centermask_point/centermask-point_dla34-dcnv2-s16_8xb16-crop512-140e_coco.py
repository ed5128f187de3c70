# Ablation "Shape size selection": Local Shape of 16x16 instead of 32x32
# (the paper reports slight gains with larger S; the values it tried are
# [unverified], we provide 16, 24, 32 and 48).
_base_ = './centermask-point_dla34-dcnv2_8xb16-crop512-140e_coco.py'
model = dict(bbox_head=dict(shape_size=16))
