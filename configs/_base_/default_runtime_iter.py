# default_runtime.py for iteration-based schedules: checkpoints every 5000
# iterations (the last two kept) and logs counted in iterations.
_base_ = './default_runtime.py'
default_hooks = dict(
    checkpoint=dict(by_epoch=False, interval=5000, max_keep_ckpts=2))
log_processor = dict(by_epoch=False)
