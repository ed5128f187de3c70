"""Traceable NMS, RoIAlign and DCNv2 with their ONNX mappings.

mmcv 2.1's ``nms`` has no ONNX symbolic, and its ``RoIAlign`` symbolic
targets opset 10 with a half-pixel workaround. Here:

* :func:`nms_indices` and :func:`batched_nms_indices` (class- or
  level-wise) run mmcv's CPU/GPU ``nms`` in PyTorch and export as ONNX
  ``NonMaxSuppression`` with one class per group (every box may be kept),
  the kept indices sorted by descending score like mmcv's;
* :func:`roi_align` runs mmcv's ``roi_align`` in PyTorch and exports as ONNX
  ``RoiAlign`` (opset >= 16) with ``coordinate_transformation_mode``
  ``half_pixel`` for ``aligned=True`` and ``output_half_pixel`` otherwise;
  :func:`onnx_mmcv_symbolics` gives mmcv's own ``RoIAlignFunction`` the
  same mapping while a model is exported (RefineMask's fusion stages call
  mmcv's function directly);
* mmcv's modulated deformable conv (DCNv2: CenterMask-Point's DLA-34,
  VoVNet-DCN) exports as ONNX ``DeformConv`` (opset 19) instead of mmcv's
  custom-domain operator, which ONNX Runtime does not have;
* :func:`extract_roi_feats` is mmdet's ``SingleRoIExtractor.forward`` without
  its data-dependent branch (a level without RoIs is still in the graph).
"""
from contextlib import contextmanager
from typing import Iterator, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn

# ONNX NonMaxSuppression needs a cap per class: larger than any box count
_MAX_OUTPUT_BOXES = 1 << 30


class _BatchedNMS(torch.autograd.Function):
    """Indices kept by NMS within groups, best score first.

    PyTorch: one mmcv ``nms`` on the (already offset) boxes. ONNX: one
    ``NonMaxSuppression`` whose classes are the groups, so that ONNX
    Runtime compares each box only with kept boxes of its own group (one
    class for all, as mmcv's offset trick, costs O(N x kept) over every
    group: 10 s for 80 classes x 1000 RoIs); the kept indices (class-major
    there) are then sorted by score.
    """

    @staticmethod
    def forward(ctx, boxes: Tensor, scores: Tensor, idxs: Tensor,
                num_groups: int, iou_threshold: float) -> Tensor:
        from mmcv.ops import nms
        if boxes.shape[0] == 0:
            return boxes.new_zeros((0, ), dtype=torch.long)
        if idxs.min() < 0 or idxs.max() >= num_groups:
            raise ValueError(f'NMS group indices must lie in [0, '
                             f'{num_groups}), got {idxs.min().item()}..'
                             f'{idxs.max().item()}')
        return nms(boxes, scores, iou_threshold)[1]

    @staticmethod
    def symbolic(g, boxes, scores, idxs, num_groups: int,
                 iou_threshold: float):

        def const(value, dtype=None):
            return g.op('Constant', value_t=torch.tensor(value, dtype=dtype))

        groups = const(list(range(num_groups)), torch.long)
        member = g.op('Equal', g.op('Unsqueeze', g.op('Cast', idxs, to_i=7),
                                    const([0])),
                      g.op('Unsqueeze', groups, const([1])))  # (G, N)
        group_scores = g.op('Where', member,
                            g.op('Unsqueeze', scores, const([0])),
                            const(float('-inf'), torch.float))
        selected = g.op('NonMaxSuppression',
                        g.op('Unsqueeze', boxes, const([0])),
                        g.op('Unsqueeze', group_scores, const([0])),
                        const([_MAX_OUTPUT_BOXES]),
                        const([iou_threshold], torch.float),
                        # strictly greater: every finite score passes,
                        # the -inf of the other groups does not
                        const([torch.finfo(torch.float).min], torch.float))
        kept = g.op('Gather', selected, const(2), axis_i=1)
        kept_scores = g.op('Gather', scores, kept, axis_i=0)
        _, order = g.op('TopK', kept_scores, g.op('Shape', kept_scores),
                        axis_i=0, largest_i=1, sorted_i=1, outputs=2)
        return g.op('Gather', kept, order, axis_i=0)


def nms_indices(boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    """Greedy NMS (IoU > ``iou_threshold`` suppresses), mmcv's semantics.

    Args:
        boxes (Tensor): (N, 4) boxes ``(x1, y1, x2, y2)``.
        scores (Tensor): (N, ) finite scores.
        iou_threshold (float): IoU above which the lower-scored box goes.

    Returns:
        Tensor: (K, ) int64 indices of the kept boxes, best score first.
    """
    groups = torch.zeros_like(scores, dtype=torch.long)
    return _BatchedNMS.apply(boxes, scores, groups, 1, float(iou_threshold))


def batched_nms_indices(boxes: Tensor, scores: Tensor, idxs: Tensor,
                        iou_threshold: float, num_groups: int) -> Tensor:
    """NMS within each value of ``idxs`` (class or level), by mmcv's
    ``batched_nms`` offset trick: boxes of different groups are moved apart
    by ``group * (max coordinate + 1)`` so that they never overlap.

    Args:
        boxes (Tensor): (N, 4) boxes ``(x1, y1, x2, y2)``.
        scores (Tensor): (N, ) finite scores.
        idxs (Tensor): (N, ) group of each box, in ``[0, num_groups)``.
        iou_threshold (float): IoU above which the lower-scored box goes.
        num_groups (int): Number of groups (classes, levels); the exported
            graph runs NMS per group.

    Returns:
        Tensor: (K, ) indices of the kept boxes, best score first.
    """
    # the zero keeps the max defined for zero boxes (coordinates are >= 0
    # after clipping, so it does not change the offsets)
    max_coordinate = torch.cat([boxes.reshape(-1), boxes.new_zeros(1)]).max()
    offsets = idxs.to(boxes) * (max_coordinate + 1)
    return _BatchedNMS.apply(boxes + offsets[:, None], scores, idxs,
                             int(num_groups), float(iou_threshold))


class _TopK(torch.autograd.Function):
    """The ``min(k, n)`` largest of (n, ) values, best first; ``n`` is read
    in the graph, so a dynamic-shape export does not freeze it."""

    @staticmethod
    def forward(ctx, values: Tensor, k: int):
        return values.topk(min(k, values.shape[0]))

    @staticmethod
    def symbolic(g, values, k: int):
        n = g.op('Shape', values)
        k = g.op('Min', n, g.op('Constant', value_t=torch.tensor([k])))
        return g.op('TopK', values, k, axis_i=0, largest_i=1, sorted_i=1,
                    outputs=2)


def topk_at_most(values: Tensor, k: int) -> Tuple[Tensor, Tensor]:
    """``values.topk(min(k, len(values)))`` with ``min`` in the graph.

    Returns:
        tuple[Tensor, Tensor]: The values (best first) and their indices.
    """
    return _TopK.apply(values, int(k))


class _RoIAlign(torch.autograd.Function):
    """mmcv's RoIAlign (avg pooling) with an opset-16 ONNX mapping."""

    @staticmethod
    def forward(ctx, feats: Tensor, rois: Tensor, output_size: tuple,
                spatial_scale: float, sampling_ratio: int,
                aligned: bool) -> Tensor:
        from mmcv.ops import roi_align as mmcv_roi_align
        if rois.shape[0] == 0:
            return feats.new_zeros((0, feats.shape[1]) + tuple(output_size))
        return mmcv_roi_align(feats, rois, output_size, spatial_scale,
                              sampling_ratio, 'avg', aligned)

    @staticmethod
    def symbolic(g, feats, rois, output_size, spatial_scale, sampling_ratio,
                 aligned):
        return _roi_align_graph(g, feats, rois, output_size, spatial_scale,
                                sampling_ratio, 'avg', aligned)


def _roi_align_graph(g, feats, rois, output_size, spatial_scale,
                     sampling_ratio, pool_mode, aligned):
    """ONNX RoiAlign nodes for mmcv's (N, 5) ``(batch, x1, y1, x2, y2)``."""
    if pool_mode != 'avg':
        raise ValueError(f'RoIAlign pool_mode={pool_mode!r} has no ONNX '
                         "export here (only 'avg', the one mmdet uses)")

    def column(start, end):
        return g.op('Slice', rois,
                    g.op('Constant', value_t=torch.tensor([start])),
                    g.op('Constant', value_t=torch.tensor([end])),
                    g.op('Constant', value_t=torch.tensor([1])))

    batch = g.op('Cast', g.op('Squeeze', column(0, 1),
                              g.op('Constant', value_t=torch.tensor([1]))),
                 to_i=7)  # int64
    out_h, out_w = (output_size, output_size) if isinstance(
        output_size, int) else output_size
    return g.op('RoiAlign', feats, column(1, 5), batch,
                coordinate_transformation_mode_s='half_pixel'
                if aligned else 'output_half_pixel',
                mode_s='avg',
                output_height_i=int(out_h),
                output_width_i=int(out_w),
                sampling_ratio_i=int(sampling_ratio),
                spatial_scale_f=float(spatial_scale))


def roi_align(layer: nn.Module, feats: Tensor, rois: Tensor) -> Tensor:
    """Apply an mmcv ``RoIAlign`` module's settings to ``rois`` (N, 5).

    Returns:
        Tensor: (N, C, out_h, out_w) features.
    """
    if getattr(layer, 'pool_mode', 'avg') != 'avg':
        raise ValueError(f'{type(layer).__name__} pool_mode='
                         f'{layer.pool_mode!r} has no ONNX export here')
    out = layer.output_size
    out = (out, out) if isinstance(out, int) else tuple(out)
    return _RoIAlign.apply(feats, rois, out, float(layer.spatial_scale),
                           int(layer.sampling_ratio), bool(layer.aligned))


def extract_roi_feats(extractor: nn.Module,
                      feats: Sequence[Tensor],
                      rois: Tensor,
                      levels: Optional[Tensor] = None) -> Tensor:
    """RoI features of an mmdet ``SingleRoIExtractor`` (or subclass),
    traceable for any number of RoIs per level (mmdeploy's approach: each
    level's RoIAlign on all RoIs, masked by level).

    Args:
        extractor (nn.Module): The RoI extractor of the model.
        feats (Sequence[Tensor]): Pyramid levels (B, C, H_l, W_l).
        rois (Tensor): (N, 5) RoIs ``(batch, x1, y1, x2, y2)``.
        levels (Tensor, optional): (N, ) level index of each RoI; by
            default the extractor's own ``map_roi_levels``.

    Returns:
        Tensor: (N, C, out_h, out_w).
    """
    layers = extractor.roi_layers
    feats = feats[:len(layers)]
    if len(layers) == 1:
        return roi_align(layers[0], feats[0], rois)
    if levels is None:
        levels = extractor.map_roi_levels(rois, len(layers))
    # every level pools every RoI and keeps those of its level: the graph
    # has no data-dependent shape (indexing the RoIs of a level traces
    # their count at export time into Reshape constants, so that a level
    # holding one RoI in the trace fails on any other count); x * 1 + 0 is
    # exact, so the result equals the extractor's. The RoIs of other levels
    # are pooled as empty boxes (x1 = x2, y1 = y2 = 0): with adaptive
    # sampling (sampling_ratio 0) an empty bin takes no sample, where the
    # true box of a large RoI would take hundreds per bin on a fine level
    roi_feats = 0
    empty = rois.new_tensor([1., 0, 0, 0, 0])
    for i, layer in enumerate(layers):
        mine = (levels == i).reshape(-1, 1)
        level_rois = torch.where(mine, rois, rois * empty)
        keep = mine.to(feats[i].dtype).reshape(-1, 1, 1, 1)
        roi_feats = roi_feats + roi_align(layer, feats[i], level_rois) * keep
    return roi_feats


def _roi_align_symbolic(g, input, rois, output_size, spatial_scale=1.0,
                        sampling_ratio=0, pool_mode='avg', aligned=True):
    return _roi_align_graph(g, input, rois, output_size, spatial_scale,
                            sampling_ratio, pool_mode, aligned)


def _deform_conv_symbolic(g, input, offset, mask, weight, bias, stride,
                          padding, dilation, groups, deform_groups):
    """mmcv's modulated deformable conv (DCNv2) as ONNX ``DeformConv``
    (opset 19): same (dy, dx) offset layout and mask per kernel tap."""
    pair = lambda v: [int(v)] * 2 if isinstance(v, int) else \
        [int(i) for i in v]  # noqa: E731
    pads = pair(padding)
    if bias is None or bias.node().mustBeNone():
        # DeformConv's bias is optional only as the last input: zeros (M,)
        channels = g.op('Slice', g.op('Shape', weight),
                        g.op('Constant', value_t=torch.tensor([0])),
                        g.op('Constant', value_t=torch.tensor([1])))
        bias = g.op('ConstantOfShape', channels)
    inputs = [input, weight, offset, bias]
    return g.op('DeformConv', *inputs, mask,
                dilations_i=pair(dilation),
                group_i=int(groups),
                offset_group_i=int(deform_groups),
                pads_i=pads + pads,
                strides_i=pair(stride))


@contextmanager
def onnx_mmcv_symbolics() -> Iterator[None]:
    """Inside the ``with`` block, export mmcv's ``RoIAlignFunction``
    (called by model code directly) as opset-16 ``RoiAlign`` and its
    ``ModulatedDeformConv2dFunction`` (DCNv2) as opset-19 ``DeformConv``
    instead of mmcv's custom-domain operators."""
    from mmcv.ops.modulated_deform_conv import ModulatedDeformConv2dFunction
    from mmcv.ops.roi_align import RoIAlignFunction
    patches = [(RoIAlignFunction, _roi_align_symbolic),
               (ModulatedDeformConv2dFunction, _deform_conv_symbolic)]
    previous = [cls.__dict__.get('symbolic') for cls, _ in patches]
    for cls, fn in patches:
        cls.symbolic = staticmethod(fn)
    try:
        yield
    finally:
        for (cls, _), old in zip(patches, previous):
            if old is None:
                del cls.symbolic
            else:
                cls.symbolic = old
