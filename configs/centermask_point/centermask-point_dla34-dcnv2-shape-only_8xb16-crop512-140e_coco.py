# Ablation: Local Shape branch only, M = sigmoid(L) (no Global Saliency);
# the paper reports 26.5 mask AP for this row [2nd-hand].
_base_ = './centermask-point_dla34-dcnv2_8xb16-crop512-140e_coco.py'
model = dict(mask_head=dict(saliency_type=None))
