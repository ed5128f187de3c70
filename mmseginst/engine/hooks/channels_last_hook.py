"""Store the model's 4-d weights in channels-last (NHWC) memory order.

oneDNN's CPU convolutions, bfloat16 ones above all, are faster on NHWC
tensors; a convolution whose weight is channels-last returns a
channels-last output, so converting the parameters once is enough for the
whole network to run in that order (the inputs can stay NCHW). Tensor
values and shapes do not change, only strides: code that calls ``view`` on
a feature map must call ``contiguous()`` or ``reshape`` first.
"""
import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ...registry import HOOKS


@HOOKS.register_module()
class ChannelsLastHook(Hook):
    """Converts ``runner.model`` to ``torch.channels_last`` before the run.

    The checkpoints keep the same keys and values (``state_dict`` tensors
    are saved with their strides and load into a model of either order).
    """

    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        model.to(memory_format=torch.channels_last)
