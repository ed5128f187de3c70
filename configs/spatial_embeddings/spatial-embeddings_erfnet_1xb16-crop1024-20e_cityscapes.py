# SpatialEmbeddings on all 8 Cityscapes thing classes, stage 2: 20 epochs of
# 1024x1024 crops from the stage-1 checkpoint (the schedule of the cars
# model, see ..._1xb16-crop1024-20e_cityscapes-car.py). Reported: 27.6 AP on
# Cityscapes test (issue #3; leaderboard copy 27.7 AP, 50.9 AP50).
_base_ = './spatial-embeddings_erfnet_1xb16-crop1024-20e_cityscapes-car.py'
load_from = 'work_dirs/spatial-embeddings_erfnet_1xb16-crop512-200e_' \
    'cityscapes/epoch_200.pth'
classes = ('person', 'rider', 'car', 'truck', 'bus', 'train', 'motorcycle',
           'bicycle')
model = dict(mask_head=dict(num_classes=len(classes)))
train_dataloader = dict(dataset=dict(metainfo=dict(classes=classes)))
val_dataloader = dict(dataset=dict(metainfo=dict(classes=classes)))
test_dataloader = val_dataloader
