# Ablation: Global Saliency branch only, M = sigmoid(G) cropped to the box
# (no Local Shape); adding the Local Shape to it gave about +10 AP in the
# paper [2nd-hand].
_base_ = './centermask-point_dla34-dcnv2_8xb16-crop512-140e_coco.py'
model = dict(
    bbox_head=dict(shape_size=None),
    mask_head=dict(use_local_shape=False))
