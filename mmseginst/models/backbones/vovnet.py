"""VoVNet V1 and V2 backbones, one family in one file.

VoVNet (Lee et al., CVPRW 2019) builds each stage from One-Shot Aggregation
(OSA) modules: ``n`` 3x3 convs in sequence whose outputs, together with the
module input, are concatenated once and fused by a 1x1 conv. VoVNetV2
(CenterMask, Lee & Park, CVPR 2020) adds two things to every OSA module:

* **eSE**, effective squeeze-excitation: global average pooling, a single
  CxC 1x1 conv (no channel reduction, so no information is lost) and a
  hard-sigmoid gate. mmdet already ships exactly this layer as
  :class:`mmdet.models.layers.ChannelAttention`; it is reused here.
* **identity mapping** from the 2nd OSA module of a stage onwards.

The variants of the centermask2 model zoo are configurations of one class
(``arch``), see :data:`VoVNet.arch_settings`. Module layout:

    stem (stride 4) -> stage2 -> [maxpool -> stage3] -> ... -> stage5

Stem: three 3x3 conv-BN-ReLU with strides 2, 1, 2 (the depthwise variants
use depthwise-separable convs for the last two). Stages 3-5 start with a
3x3/2 max-pool in ceil mode.
"""
from typing import Optional, Sequence

import torch
from mmcv.cnn import ConvModule, DepthwiseSeparableConvModule
from mmdet.models.layers import ChannelAttention
from mmengine.logging import print_log
from mmengine.model import BaseModule
from mmengine.runner import CheckpointLoader
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

from ...registry import MODELS
from .vovnet_ckpt_convert import convert_vovnet_state_dict


def _conv3x3(in_channels: int, out_channels: int, stride: int,
             depthwise: bool, conv_cfg: Optional[dict],
             norm_cfg: dict) -> nn.Module:
    """3x3 conv-norm-ReLU; depthwise: dw 3x3 (no norm) -> pw 1x1-norm-ReLU,
    both without bias, as in the official ``dw_conv3x3``."""
    if depthwise:
        return DepthwiseSeparableConvModule(
            in_channels, out_channels, 3, stride=stride, padding=1,
            bias=False, norm_cfg=norm_cfg, dw_norm_cfg=None, dw_act_cfg=None)
    return ConvModule(
        in_channels, out_channels, 3, stride=stride, padding=1,
        conv_cfg=conv_cfg, norm_cfg=norm_cfg)


class OSAModule(nn.Module):
    """One-Shot Aggregation module (with VoVNetV2's eSE and identity).

    ``x (N, C_in, H, W)`` -> ``num_layers`` 3x3 convs in sequence, each
    ``(N, C_mid, H, W)`` -> concat with ``x`` ``(N, C_in + n*C_mid, H, W)``
    -> 1x1 conv ``(N, C_out, H, W)`` -> eSE -> ``+ x`` if ``identity``.

    Args:
        in_channels (int): C_in.
        mid_channels (int): C_mid, channels of the 3x3 convs.
        out_channels (int): C_out after aggregation.
        num_layers (int): Number of 3x3 convs.
        depthwise (bool): Depthwise-separable 3x3 convs; a 1x1 conv first
            reduces C_in to C_mid when they differ.
        with_ese (bool): Apply eSE after aggregation (V2).
        identity (bool): Add the input to the output (V2, 2nd+ module).
        conv_cfg (dict, optional): Conv type of the 3x3 convs, e.g.
            ``dict(type='DCNv2', deform_groups=1)`` for modulated DCN.
        norm_cfg (dict): Norm layer config.
    """

    def __init__(self,
                 in_channels: int,
                 mid_channels: int,
                 out_channels: int,
                 num_layers: int,
                 depthwise: bool = False,
                 with_ese: bool = True,
                 identity: bool = False,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN')) -> None:
        super().__init__()
        if identity and in_channels != out_channels:
            raise ValueError('an identity OSA module needs in_channels == '
                             f'out_channels, got {in_channels} and '
                             f'{out_channels}')
        self.identity = identity
        self.reduction = None
        channels = in_channels
        if depthwise and in_channels != mid_channels:
            self.reduction = ConvModule(
                in_channels, mid_channels, 1, norm_cfg=norm_cfg)
            channels = mid_channels
        self.layers = nn.ModuleList()
        for _ in range(num_layers):
            self.layers.append(
                _conv3x3(channels, mid_channels, 1, depthwise,
                         None if depthwise else conv_cfg, norm_cfg))
            channels = mid_channels
        # the aggregation sees the module input, not its reduced version
        self.concat_conv = ConvModule(
            in_channels + num_layers * mid_channels, out_channels, 1,
            norm_cfg=norm_cfg)
        self.ese = ChannelAttention(out_channels) if with_ese else None

    def forward(self, x: Tensor) -> Tensor:
        outs = [x]
        y = x if self.reduction is None else self.reduction(x)
        for layer in self.layers:
            y = layer(y)
            outs.append(y)
        y = self.concat_conv(torch.cat(outs, dim=1))
        if self.ese is not None:
            y = self.ese(y)
        return y + x if self.identity else y


class OSAStage(nn.Module):
    """Optional 3x3/2 max-pool followed by ``len(blocks)`` OSA modules."""

    def __init__(self, blocks: Sequence[OSAModule], downsample: bool):
        super().__init__()
        self.pool = nn.MaxPool2d(3, stride=2, ceil_mode=True) \
            if downsample else None
        self.blocks = nn.ModuleList(blocks)

    def forward(self, x: Tensor) -> Tensor:
        if self.pool is not None:
            x = self.pool(x)
        for block in self.blocks:
            x = block(x)
        return x


@MODELS.register_module()
class VoVNet(BaseModule):
    """VoVNet V1/V2 backbone.

    Args:
        arch (str): One of :attr:`arch_settings` (``'19-slim-dw'``,
            ``'19-dw'``, ``'19-slim'``, ``'19'``, ``'39'``, ``'57'``,
            ``'99'``).
        with_ese (bool): eSE in every OSA module (V2). Defaults to True.
        with_identity (bool): Identity mapping from the 2nd OSA module of a
            stage (V2). Defaults to True. V1 is ``with_ese=False,
            with_identity=False``.
        out_indices (Sequence[int]): Stages to output, 0..3 for stages 2..5
            (strides 4, 8, 16, 32). Defaults to (0, 1, 2, 3).
        frozen_stages (int): -1 freezes nothing, 0 the stem, k the stem and
            the first k stages (detectron2's ``FREEZE_AT`` minus 1).
        dcn (dict, optional): Conv config of the deformable 3x3 convs, e.g.
            ``dict(type='DCNv2', deform_groups=1)`` (mmcv's
            ModulatedDeformConv2dPack). Not used by depthwise archs.
        stage_with_dcn (Sequence[bool]): Which of stages 2..5 use ``dcn``;
            centermask2's DCN models use (False, True, True, True).
        norm_cfg (dict): Norm config. centermask2 freezes every BN
            (``FrozenBN``): ``dict(type='BN', requires_grad=False)`` together
            with ``norm_eval=True``.
        norm_eval (bool): Keep BN layers in eval mode while training.
        init_cfg (dict, optional): ``dict(type='Pretrained', checkpoint=...)``
            accepts our checkpoints and the official detectron2 VoVNet
            checkpoints, whose keys are converted on the fly.

    Example:
        >>> model = VoVNet('19-slim', out_indices=(1, 2, 3)).eval()
        >>> [tuple(o.shape) for o in model(torch.rand(1, 3, 64, 64))]
        [(1, 256, 8, 8), (1, 384, 4, 4), (1, 512, 2, 2)]
    """

    # stem / 3x3-conv / output channels of stages 2..5, 3x3 convs per OSA
    # module, OSA modules per stage, depthwise-separable convs.
    # [code: centermask2/centermask/modeling/backbone/vovnet.py]
    arch_settings = {
        '19-slim-dw': dict(stem=(64, 64, 64), mid=(64, 80, 96, 112),
                           out=(112, 256, 384, 512), layers=3,
                           blocks=(1, 1, 1, 1), depthwise=True),
        '19-dw': dict(stem=(64, 64, 64), mid=(128, 160, 192, 224),
                      out=(256, 512, 768, 1024), layers=3,
                      blocks=(1, 1, 1, 1), depthwise=True),
        '19-slim': dict(stem=(64, 64, 128), mid=(64, 80, 96, 112),
                        out=(112, 256, 384, 512), layers=3,
                        blocks=(1, 1, 1, 1), depthwise=False),
        '19': dict(stem=(64, 64, 128), mid=(128, 160, 192, 224),
                   out=(256, 512, 768, 1024), layers=3, blocks=(1, 1, 1, 1),
                   depthwise=False),
        '39': dict(stem=(64, 64, 128), mid=(128, 160, 192, 224),
                   out=(256, 512, 768, 1024), layers=5, blocks=(1, 1, 2, 2),
                   depthwise=False),
        '57': dict(stem=(64, 64, 128), mid=(128, 160, 192, 224),
                   out=(256, 512, 768, 1024), layers=5, blocks=(1, 1, 4, 3),
                   depthwise=False),
        '99': dict(stem=(64, 64, 128), mid=(128, 160, 192, 224),
                   out=(256, 512, 768, 1024), layers=5, blocks=(1, 3, 9, 3),
                   depthwise=False),
    }

    def __init__(self,
                 arch: str = '39',
                 with_ese: bool = True,
                 with_identity: bool = True,
                 out_indices: Sequence[int] = (0, 1, 2, 3),
                 frozen_stages: int = -1,
                 dcn: Optional[dict] = None,
                 stage_with_dcn: Sequence[bool] = (False, False, False,
                                                   False),
                 norm_cfg: dict = dict(type='BN', requires_grad=True),
                 norm_eval: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if arch not in self.arch_settings:
            raise KeyError(f'VoVNet arch={arch!r} is not one of '
                           f'{sorted(self.arch_settings)}')
        if not set(out_indices) <= {0, 1, 2, 3}:
            raise ValueError(f'VoVNet out_indices={tuple(out_indices)} must '
                             'be a subset of (0, 1, 2, 3)')
        if frozen_stages not in range(-1, 5):
            raise ValueError(f'VoVNet frozen_stages={frozen_stages} must be '
                             'in [-1, 4]')
        if len(stage_with_dcn) != 4:
            raise ValueError('VoVNet stage_with_dcn needs 4 entries (stages '
                             f'2..5), got {tuple(stage_with_dcn)}')
        if any(stage_with_dcn) and dcn is None:
            raise ValueError('VoVNet stage_with_dcn is set but dcn is None')
        spec = self.arch_settings[arch]
        self.arch = arch
        self.out_indices = tuple(out_indices)
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        dw = spec['depthwise']

        s0, s1, s2 = spec['stem']
        self.stem = nn.Sequential(
            ConvModule(3, s0, 3, stride=2, padding=1, norm_cfg=norm_cfg),
            _conv3x3(s0, s1, 1, dw, None, norm_cfg),
            _conv3x3(s1, s2, 2, dw, None, norm_cfg))

        self.stages = nn.ModuleList()
        in_channels = s2
        for i, (mid, out, num_blocks) in enumerate(
                zip(spec['mid'], spec['out'], spec['blocks'])):
            conv_cfg = dcn if stage_with_dcn[i] else None
            blocks = [
                OSAModule(
                    in_channels if j == 0 else out, mid, out, spec['layers'],
                    depthwise=dw, with_ese=with_ese,
                    identity=with_identity and j > 0, conv_cfg=conv_cfg,
                    norm_cfg=norm_cfg) for j in range(num_blocks)
            ]
            self.stages.append(OSAStage(blocks, downsample=i > 0))
            in_channels = out
        self.out_channels = [spec['out'][i] for i in self.out_indices]
        self._freeze_stages()

    def init_weights(self) -> None:
        """Load a pretrained checkpoint (ours or the official detectron2
        one, converted on the fly) or keep the convs' Kaiming init."""
        init = self.init_cfg
        if isinstance(init, dict) and init.get('type') == 'Pretrained':
            ckpt = CheckpointLoader.load_checkpoint(
                init['checkpoint'], map_location='cpu', logger='current')
            state = convert_vovnet_state_dict(ckpt)
            missing, unexpected = self.load_state_dict(state, strict=False)
            print_log(
                f'VoVNet-{self.arch}: loaded {init["checkpoint"]} '
                f'(missing keys: {missing}, unexpected keys: {unexpected})',
                logger='current')
            self._is_init = True
        else:
            super().init_weights()

    def _freeze_stages(self) -> None:
        if self.frozen_stages >= 0:
            modules = [self.stem] + list(self.stages[:self.frozen_stages])
            for m in modules:
                m.eval()
                for p in m.parameters():
                    p.requires_grad = False

    def train(self, mode: bool = True) -> 'VoVNet':
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self

    def forward(self, x: Tensor) -> tuple:
        """``(N, 3, H, W)`` -> tuple of the selected stage outputs, stage
        ``i`` of shape ``(N, out[i], ceil(H / 2**(i+2)), ...)``."""
        x = self.stem(x)
        outs = []
        for i, stage in enumerate(self.stages):
            x = stage(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
