"""Mixed-precision training on CPU: the forward pass and the losses run
under ``torch.autocast('cpu', dtype)``.

mmengine's ``AmpOptimWrapper`` refuses to run without CUDA (it is built
around ``torch.cuda.amp.GradScaler``). On CPUs with bfloat16 units (AVX512-
BF16, AMX) the convolutions and matrix products of a small model run
1.4-1.8x faster in bfloat16 (``tools/analysis_tools/benchmark_train_step.py``).
bfloat16 has float32's exponent range, so no loss scaling is needed: the
parameters, gradients and optimizer state stay float32, autocast casts the
inputs of the ops on its lower-precision list (convolutions, linear layers,
matrix products) and keeps its float32 list (most losses, softmax, norms)
in float32; gradients flow back through the casts.

Not every op has a lower-precision CPU kernel: mmcv's ``nms`` and
``RoIAlign`` refuse bfloat16 tensors, so two-stage models (Mask R-CNN's RPN
proposals in training) stop with a RuntimeError that this wrapper re-raises
with the op's message and a hint. Single-stage dense models (CenterMask-
Point) run through.

Config::

    optim_wrapper = dict(type='CPUAutocastOptimWrapper', dtype='bfloat16',
                         optimizer=dict(type='AdamW', lr=1e-3))
"""
import logging
from contextlib import contextmanager

import torch
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper
from torch import nn

from ...registry import OPTIM_WRAPPERS


def _has_cpu_kernels(dtype: str) -> bool:
    """Whether oneDNN has native CPU kernels of ``dtype`` on this machine."""
    check = {'bfloat16': '_is_mkldnn_bf16_supported',
             'float16': '_is_mkldnn_fp16_supported'}[dtype]
    fn = getattr(torch.ops.mkldnn, check, None)
    return True if fn is None else bool(fn())


@OPTIM_WRAPPERS.register_module()
class CPUAutocastOptimWrapper(OptimWrapper):
    """:class:`OptimWrapper` whose ``optim_context`` enables CPU autocast.

    Args:
        dtype (str): ``'bfloat16'`` (default) or ``'float16'``, the lower
            precision of ``torch.autocast('cpu')``.
        enabled (bool): False runs in float32, as ``OptimWrapper`` (to
            switch a config off from the command line).
        **kwargs: the arguments of :class:`OptimWrapper`.
    """

    valid_dtypes = ('bfloat16', 'float16')

    def __init__(self, dtype: str = 'bfloat16', enabled: bool = True,
                 **kwargs):
        super().__init__(**kwargs)
        if dtype not in self.valid_dtypes:
            raise ValueError(
                f'CPUAutocastOptimWrapper: dtype={dtype!r} is not one of '
                f'{self.valid_dtypes}')
        self.cast_dtype = getattr(torch, dtype)
        self.enabled = bool(enabled)
        if self.enabled and not _has_cpu_kernels(dtype):
            print_log(
                f'CPUAutocastOptimWrapper: this CPU has no native {dtype} '
                'convolutions (oneDNN reports none); autocast will emulate '
                'them and be slower than float32. Set enabled=False.',
                logger='current', level=logging.WARNING)

    @contextmanager
    def optim_context(self, model: nn.Module):
        """The parent's context (gradient accumulation), then autocast."""
        with super().optim_context(model), torch.autocast(
                'cpu', dtype=self.cast_dtype, enabled=self.enabled):
            try:
                yield
            except RuntimeError as err:
                low = {torch.bfloat16: 'BFloat16', torch.float16: 'Half'}
                if self.enabled and low[self.cast_dtype] in str(err):
                    raise RuntimeError(
                        f'CPUAutocastOptimWrapper(dtype='
                        f'{str(self.cast_dtype)[6:]!r}): an op of the model '
                        f'has no CPU kernel for that dtype ({err}). mmcv ops '
                        'such as nms and RoIAlign are float32-only on CPU; '
                        'train this model with OptimWrapper or with '
                        'enabled=False.') from err
                raise
