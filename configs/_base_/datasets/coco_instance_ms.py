# COCO 2017 instance segmentation with multi-scale training: the short side is
# drawn from 640..800 in steps of 32 (detectron2's ResizeShortestEdge "choice"
# as used by centermask2 and EmbedMask ms-3x), long side at most 1333.
_base_ = './coco_instance.py'

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='RandomChoiceResize',
        scales=[(1333, 640), (1333, 672), (1333, 704), (1333, 736),
                (1333, 768), (1333, 800)],
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
