# CenterMask V2-99-FPN with modulated deformable convs (DCNv2) in the 3x3
# convs of stages 3-5, ms-3x (centermask_V_99_eSE_dcn_FPN_ms_3x.yaml:
# STAGE_WITH_DCN (False, True, True, True), WITH_MODULATED_DCN True,
# DEFORMABLE_GROUPS 1; 42.0 mask AP on COCO val2017).
_base_ = './centermask_v2-99_fpn_ms-3x_coco.py'
model = dict(
    backbone=dict(
        dcn=dict(type='DCNv2', deform_groups=1),
        stage_with_dcn=(False, True, True, True)))
