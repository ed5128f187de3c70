# RefineMask R-50-FPN on LVIS v1 (README: AP 25.7, APr 13.8, APc 24.9,
# APf 31.8; baseline configs/mask_rcnn/
# mask-rcnn_r50_fpn_sample1e-3_ms-1x_lvis-v1.py: 22.1). Class-balanced
# repeat sampling (threshold 1e-3) and short side in {640, ..., 800} from
# the dataset base; 1203 classes with a class-agnostic last stage, 300
# detections per image with score >= 1e-4 (RM: configs/refinemask/lvis/).
_base_ = [
    '../_base_/models/refinemask_r50_fpn.py',
    '../_base_/datasets/lvis_v1_instance.py',
    '../_base_/schedules/schedule_1x.py', '../_base_/default_runtime.py'
]
num_classes = 1203
model = dict(
    roi_head=dict(
        bbox_head=dict(num_classes=num_classes),
        mask_head=dict(
            num_classes=num_classes,
            stage_num_classes=[num_classes, num_classes, num_classes, 1])),
    test_cfg=dict(rcnn=dict(score_thr=0.0001, max_per_img=300)))
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(
        type='LoadAnnotations', with_bbox=True, with_mask=True,
        poly2mask=False),  # polygons kept, as in RM
    dict(
        type='RandomChoiceResize',
        scales=[(1333, 640), (1333, 672), (1333, 704), (1333, 736),
                (1333, 768), (1333, 800)],
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=train_pipeline)))
optim_wrapper = dict(clip_grad=dict(max_norm=35, norm_type=2))
