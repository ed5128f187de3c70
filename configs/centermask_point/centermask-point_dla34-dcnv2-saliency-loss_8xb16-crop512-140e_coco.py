# Ablation: direct supervision of the class-specific Global Saliency map with
# the union of each class's instance masks (sigmoid BCE, mean over pixels,
# weight 1 [our choice]) on top of Eq. 6; +0.5 AP in the paper [2nd-hand].
_base_ = './centermask-point_dla34-dcnv2_8xb16-crop512-140e_coco.py'
model = dict(
    mask_head=dict(
        loss_saliency=dict(
            _delete_=True,  # the base config has None here
            type='CrossEntropyLoss',
            use_sigmoid=True,
            loss_weight=1.0)))
