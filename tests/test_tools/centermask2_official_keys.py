"""Synthetic state dicts with the key names and shapes of the official
centermask2 modules, written from their structure (centermask/modeling/
backbone/vovnet.py, backbone/fpn.py, fcos/fcos.py, centermask/sam.py,
centermask/maskiou_head.py and detectron2's FPN), independently of the
converters under test."""
from collections import OrderedDict

import torch

# stem, 3x3-conv channels, output channels, convs per OSA, OSAs per stage, dw
SPECS = {
    '19-slim-dw': ((64, 64, 64), (64, 80, 96, 112), (112, 256, 384, 512), 3,
                   (1, 1, 1, 1), True),
    '19-slim': ((64, 64, 128), (64, 80, 96, 112), (112, 256, 384, 512), 3,
                (1, 1, 1, 1), False),
    '39': ((64, 64, 128), (128, 160, 192, 224), (256, 512, 768, 1024), 5,
           (1, 1, 2, 2), False),
}


def _frozen_bn(prefix, c, gen):
    return {f'{prefix}.{p}': torch.rand(c, generator=gen) + 0.5
            for p in ('weight', 'bias', 'running_mean', 'running_var')}


def official_vovnet(arch, dcn_stages=(), gen=None):
    """``{official key: tensor}`` of VoVNet ``arch``; ``dcn_stages`` lists
    the stage numbers (2..5) built with modulated DCN."""
    gen = gen or torch.Generator().manual_seed(0)
    stem, mids, outs, n_layers, blocks, dw = SPECS[arch]
    sd = OrderedDict()

    def conv(name, cout, cin, k):
        sd[name] = torch.randn(cout, cin, k, k, generator=gen)

    def unit(prefix, cin, cout, dw_unit, dcn=False):
        if dw_unit:  # dw_conv3x3: depthwise, pointwise, pw_norm
            conv(f'{prefix}/dw_conv3x3.weight', cout, 1, 3)
            conv(f'{prefix}/pw_conv1x1.weight', cout, cin, 1)
            sd.update(_frozen_bn(f'{prefix}/pw_norm', cout, gen))
            return
        if dcn:  # DFConv3x3: offset conv with bias, deformable conv, norm
            conv(f'{prefix}/conv_offset.weight', 27, cin, 3)
            sd[f'{prefix}/conv_offset.bias'] = torch.randn(27, generator=gen)
        conv(f'{prefix}/conv.weight', cout, cin, 3)
        sd.update(_frozen_bn(f'{prefix}/norm', cout, gen))

    unit('stem.stem_1', 3, stem[0], False)
    unit('stem.stem_2', stem[0], stem[1], dw)
    unit('stem.stem_3', stem[1], stem[2], dw)
    cin = stem[2]
    for s, (mid, out, nb) in enumerate(zip(mids, outs, blocks), start=2):
        for b in range(1, nb + 1):
            name = f'OSA{s}_{b}'
            pre = f'stage{s}.{name}'
            block_in = cin if b == 1 else out
            ch = block_in
            if dw and block_in != mid:
                p = f'{pre}.conv_reduction.{name}_reduction_0'
                conv(f'{p}/conv.weight', mid, block_in, 1)
                sd.update(_frozen_bn(f'{p}/norm', mid, gen))
                ch = mid
            for i in range(n_layers):
                unit(f'{pre}.layers.{i}.{name}_{i}', ch, mid, dw,
                     dcn=s in dcn_stages)
                ch = mid
            p = f'{pre}.concat.{name}_concat'
            conv(f'{p}/conv.weight', out, block_in + n_layers * mid, 1)
            sd.update(_frozen_bn(f'{p}/norm', out, gen))
            conv(f'{pre}.ese.fc.weight', out, out, 1)
            sd[f'{pre}.ese.fc.bias'] = torch.randn(out, generator=gen)
        cin = out
    return sd


def official_centermask_lite(arch='19-slim-dw', num_classes=80, gen=None):
    """A whole CenterMask-Lite detectron2 state dict (128-channel FPN, 2+2
    FCOS towers with GN, 2-conv SAG-Mask and MaskIoU heads)."""
    gen = gen or torch.Generator().manual_seed(1)
    sd = OrderedDict(
        ('backbone.bottom_up.' + k, v)
        for k, v in official_vovnet(arch, gen=gen).items())
    c = 128

    def param(name, *shape):
        sd[name] = torch.randn(*shape, generator=gen)

    for level, cin in zip((3, 4, 5), SPECS[arch][2][1:]):
        param(f'backbone.fpn_lateral{level}.weight', c, cin, 1, 1)
        param(f'backbone.fpn_lateral{level}.bias', c)
        param(f'backbone.fpn_output{level}.weight', c, c, 3, 3)
        param(f'backbone.fpn_output{level}.bias', c)
    for p in ('p6', 'p7'):
        param(f'backbone.top_block.{p}.weight', c, c, 3, 3)
        param(f'backbone.top_block.{p}.bias', c)
    head = 'proposal_generator.fcos_head'
    for tower in ('cls_tower', 'bbox_tower'):
        for i in range(2):  # (conv, GN, ReLU) per layer
            param(f'{head}.{tower}.{3 * i}.weight', c, c, 3, 3)
            param(f'{head}.{tower}.{3 * i}.bias', c)
            param(f'{head}.{tower}.{3 * i + 1}.weight', c)
            param(f'{head}.{tower}.{3 * i + 1}.bias', c)
    for name, cout in (('cls_logits', num_classes), ('bbox_pred', 4),
                       ('ctrness', 1)):
        param(f'{head}.{name}.weight', cout, c, 3, 3)
        param(f'{head}.{name}.bias', cout)
    for level in range(5):
        param(f'{head}.scales.{level}.scale', 1)
    mask = 'roi_heads.mask_head'
    for k in (1, 2):
        param(f'{mask}.mask_fcn{k}.weight', c, c, 3, 3)
        param(f'{mask}.mask_fcn{k}.bias', c)
    param(f'{mask}.spatialAtt.conv.weight', 1, 2, 3, 3)
    param(f'{mask}.deconv.weight', c, c, 2, 2)  # ConvTranspose2d: in, out
    param(f'{mask}.deconv.bias', c)
    param(f'{mask}.predictor.weight', num_classes, c, 1, 1)
    param(f'{mask}.predictor.bias', num_classes)
    iou = 'roi_heads.maskiou_head'
    for k in (1, 2):
        param(f'{iou}.maskiou_fcn{k}.weight', c, c + 1 if k == 1 else c, 3, 3)
        param(f'{iou}.maskiou_fcn{k}.bias', c)
    param(f'{iou}.maskiou_fc1.weight', 1024, c * 7 * 7)
    param(f'{iou}.maskiou_fc1.bias', 1024)
    param(f'{iou}.maskiou_fc2.weight', 1024, 1024)
    param(f'{iou}.maskiou_fc2.bias', 1024)
    param(f'{iou}.maskiou.weight', num_classes, 1024)
    param(f'{iou}.maskiou.bias', num_classes)
    sd['pixel_mean'] = torch.tensor([103.53, 116.28, 123.675]).view(3, 1, 1)
    sd['pixel_std'] = torch.ones(3, 1, 1)
    return sd
