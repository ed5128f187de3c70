# The shapes baseline's model (_base_/models/mask-rcnn_r18-w32_fpn.py:
# half-width ResNet-18 from scratch, 64-channel FPN) on bottles4, the real
# photos shipped in assets/bottles4/ (_base_/datasets/bottles4_instance.py:
# long side 256 px, batch 4): the baseline every method's bottles4 config is
# compared with. The bottles4 schedule shared by all those configs is the
# shapes schedule at half length (400 iterations of AdamW at the shapes
# config's learning rate, warm-up over 100, lr x0.1 at 75% and 90%).
_base_ = [
    '../_base_/models/mask-rcnn_r18-w32_fpn.py',
    '../_base_/datasets/bottles4_instance.py',
    '../_base_/schedules/schedule_shapes_400it.py',
    '../_base_/default_runtime_iter.py'
]
default_hooks = dict(checkpoint=dict(interval=400))
