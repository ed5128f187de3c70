"""Head of SpatialEmbeddings (Neven et al., CVPR 2019): the decoder branches
of BranchedERFNet, the joint loss and the greedy seed clustering.

BranchedERFNet shares one encoder between several ERFNet decoders, one per
output group. Here the encoder is the backbone and the head holds the two
decoders of the released model (``num_classes=[3, 1]`` there):

* decoder 0: 2 offset maps o and ``n_sigma`` bandwidth maps s (1 circular,
  2 elliptical);
* decoder 1: one seed logit map per class (one-vs-all, no softmax).

Each decoder upsamples a stride-8 feature x8 (ERFNet's encoder output). The
head also fits a ResNet-FPN: ``in_index`` picks the level, ``in_channels``
its width and ``in_stride`` its stride, 8 (P3) or 4 (P2, where the first
upsampler becomes a stride-1 3x3 conv). Output: (B, 2 + n_sigma +
num_classes, H, W) at input resolution.
The embedding is e = tanh(o) + x with x the coordinate map
(:mod:`mmseginst.models.layers.coordinate_map`); the released init makes
e = x and s = 1 at the start (offset weights and bias 0, bandwidth weights 0
and bias 1).
"""
from typing import Dict, List, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmdet.models.dense_heads.base_mask_head import BaseMaskHead
from mmdet.structures.mask import mask2bbox
from mmdet.utils import InstanceList, OptConfigType, OptMultiConfig
from mmengine.structures import InstanceData
from torch import Tensor, nn

from ...registry import MODELS
from ..layers.coordinate_map import (DEFAULT_PIXEL_PITCH, coordinate_map,
                                     parse_pixel_pitch)
from ..layers.erfnet_blocks import ERFNET_NORM, ERFNetDecoder
from ..layers.spatial_embedding_clustering import cluster_fast, cluster_plain

CLUSTERINGS = dict(fast=cluster_fast, plain=cluster_plain)
DEFAULT_TEST_CFG = dict(
    clustering='fast',
    seed_thr=0.9,  # released test.py (was 0.5 before commit 213b5fa)
    candidate_thr=0.5,
    fg_thr=0.5,
    min_pixels=128,
    min_unclustered_ratio=0.5,
    mask_thr=0.5,  # binarises masks resized to the original image
    max_per_img=100)


@MODELS.register_module()
class SpatialEmbeddingHead(BaseMaskHead):
    """BranchedERFNet decoders + SpatialEmbeddings loss and clustering.

    Args:
        num_classes (int): Seed maps (one per thing class).
        in_channels (int): Channels of the input feature (128 for
            ERFNet).
        in_index (int): Which feature of the backbone/neck tuple to use.
        in_stride (int): Its stride: 8 (ERFNet, P3) or 4 (P2).
        n_sigma (int): 1 (circular) or 2 (elliptical) bandwidth maps.
        decoder_channels (Sequence[int]): Widths of the two upsamplers.
        num_decoder_blocks (int): non-bottleneck-1d blocks per upsampler.
        norm_cfg (dict): Norm of the decoders (BN, eps 1e-3).
        pixel_pitch (float | tuple): Coordinate units per pixel (x, y); the
            default is the step of the original 2048x1024 -> [0,2]x[0,1]
            buffer.
        sigma_init_bias (float): Initial bias of the bandwidth maps (1).
        sigma_scale (float): The precision of a Gaussian is
            exp(sigma_scale * s) (Eq. 6: 10), in the clustering; the loss
            config ``loss`` holds the value of training, which should be
            the same.
        loss (dict): The :class:`SpatialEmbeddingLoss` config.
        test_cfg (dict): Clustering options, see ``DEFAULT_TEST_CFG``.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int = 128,
                 in_index: int = -1,
                 n_sigma: int = 1,
                 decoder_channels: Sequence[int] = (64, 16),
                 num_decoder_blocks: int = 2,
                 in_stride: int = 8,
                 norm_cfg: dict = ERFNET_NORM,
                 pixel_pitch: Union[float, Sequence[float]] = (
                     DEFAULT_PIXEL_PITCH),
                 sigma_init_bias: float = 1.0,
                 sigma_scale: float = 10.0,
                 loss: dict = dict(type='SpatialEmbeddingLoss'),
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if n_sigma not in (1, 2):
            raise ValueError(f'n_sigma must be 1 (circular) or 2 '
                             f'(elliptical), got {n_sigma}')
        if num_classes < 1:
            raise ValueError(f'num_classes must be >= 1, got {num_classes}')
        self.num_classes = num_classes
        self.n_sigma = n_sigma
        self.in_index = in_index
        self.in_stride = in_stride
        self.pixel_pitch = parse_pixel_pitch(pixel_pitch)
        self.sigma_init_bias = sigma_init_bias
        self.sigma_scale = sigma_scale
        self.decoders = nn.ModuleList([
            ERFNetDecoder(in_channels, 2 + n_sigma, decoder_channels,
                          num_decoder_blocks, norm_cfg, in_stride),
            ERFNetDecoder(in_channels, num_classes, decoder_channels,
                          num_decoder_blocks, norm_cfg, in_stride)
        ])
        self.loss_embed = MODELS.build(loss)
        self.train_cfg = train_cfg
        self.test_cfg = dict(DEFAULT_TEST_CFG, **(test_cfg or {}))
        unknown = set(self.test_cfg) - set(DEFAULT_TEST_CFG)
        if unknown:
            raise ValueError(f'unknown test_cfg keys {sorted(unknown)}; '
                             f'valid: {sorted(DEFAULT_TEST_CFG)}')
        if self.test_cfg['clustering'] not in CLUSTERINGS:
            raise ValueError(f'test_cfg.clustering must be one of '
                             f'{sorted(CLUSTERINGS)}, got '
                             f"{self.test_cfg['clustering']!r}")
        self._init_output()

    def _init_output(self) -> None:
        """Offsets start at 0 (e = x) and bandwidths at ``sigma_init_bias``
        everywhere (the released ``init_output``)."""
        conv = self.decoders[0].output_conv
        with torch.no_grad():
            conv.weight[:, :2 + self.n_sigma].zero_()
            conv.bias[:2].zero_()
            conv.bias[2:2 + self.n_sigma].fill_(self.sigma_init_bias)

    def init_weights(self) -> None:
        super().init_weights()
        self._init_output()

    def forward(self, x: Tuple[Tensor]) -> Tuple[Tensor]:
        """(B, C_in, H/s, W/s) feature (s = ``in_stride``) ->
        ((B, 2 + n_sigma + C, H, W),)."""
        feat = x[self.in_index]
        return (torch.cat([dec(feat) for dec in self.decoders], 1), )

    def decode(self, pred: Tensor,
               size: Tuple[int, int]) -> Tuple[Tensor, Tensor, Tensor]:
        """Embeddings, raw bandwidths and seed probabilities of the top-left
        ``size`` block of ``pred``.

        Returns:
            tuple[Tensor]: e (B, 2, h, w), s (B, n_sigma, h, w), seed
            probabilities (B, C, h, w).
        """
        h, w = size
        if pred.shape[-2] < h or pred.shape[-1] < w:
            raise ValueError(
                f'head output {tuple(pred.shape[-2:])} is smaller than the '
                f'input {h}x{w}: in_index must select a feature of stride '
                f'in_stride={self.in_stride}')
        pred = pred[..., :h, :w]
        coords = coordinate_map(h, w, self.pixel_pitch, pred.device,
                                pred.dtype)
        n = self.n_sigma
        return (torch.tanh(pred[:, :2]) + coords, pred[:, 2:2 + n],
                torch.sigmoid(pred[:, 2 + n:]))

    def loss_by_feat(self, pred: Tensor, batch_gt_instances: InstanceList,
                     batch_img_metas: List[dict], **kwargs) -> Dict[str,
                                                                   Tensor]:
        """Targets from ``gt_instances.masks`` (padded to the batch input
        by :meth:`BaseMaskHead.loss`); padding is excluded from the loss.
        Crowd regions (``ignored_instances``) are background, as in the
        original code."""
        size = tuple(batch_img_metas[0]['batch_input_shape'])
        emb, sigma, seed = self.decode(pred, size)
        valid = pred.new_zeros((len(batch_img_metas), ) + size,
                               dtype=torch.bool)
        masks, labels = [], []
        for b, (gt, meta) in enumerate(zip(batch_gt_instances,
                                           batch_img_metas)):
            h, w = meta['img_shape'][:2]
            valid[b, :h, :w] = True
            masks.append(gt.masks.to_tensor(torch.bool, pred.device)
                         .reshape(-1, *size))
            labels.append(gt.labels.to(pred.device))
        coords = coordinate_map(*size, self.pixel_pitch, pred.device,
                                pred.dtype)
        return self.loss_embed(emb, sigma, seed, coords, masks, labels,
                               valid)

    def predict_by_feat(self,
                        pred: Tensor,
                        batch_img_metas: List[dict],
                        rescale: bool = False,
                        **kwargs) -> InstanceList:
        """Cluster each image and class; masks at the original image size
        when ``rescale`` (else at ``img_shape``), boxes from the masks; the
        score of an instance is the seed value of its seed pixel (the
        released code)."""
        cfg = dict(self.test_cfg)
        cluster = CLUSTERINGS[cfg.pop('clustering')]
        mask_thr, max_per_img = cfg.pop('mask_thr'), cfg.pop('max_per_img')
        size = tuple(batch_img_metas[0]['batch_input_shape'])
        emb, sigma, seed = self.decode(pred, size)
        results = []
        for b, meta in enumerate(batch_img_metas):
            h, w = meta['img_shape'][:2]
            masks, scores, labels = [], [], []
            for c in range(self.num_classes):
                m, s = cluster(emb[b, :, :h, :w], sigma[b, :, :h, :w],
                               seed[b, c, :h, :w],
                               sigma_scale=self.sigma_scale,
                               max_instances=max_per_img, **cfg)
                masks.append(m)
                scores.append(s)
                labels.append(torch.full_like(s, c, dtype=torch.long))
            masks, scores, labels = (torch.cat(masks), torch.cat(scores),
                                     torch.cat(labels))
            if max_per_img is not None and len(scores) > max_per_img:
                keep = scores.topk(max_per_img).indices
                masks, scores, labels = masks[keep], scores[keep], labels[keep]
            ori_shape = tuple(meta['ori_shape'][:2])
            if rescale and ori_shape != (h, w):
                masks = F.interpolate(
                    masks[None].float(), size=ori_shape, mode='bilinear',
                    align_corners=False)[0] > mask_thr if len(masks) else \
                    masks.new_zeros((0, ) + ori_shape)
            res = InstanceData()
            res.masks = masks
            res.scores = scores
            res.labels = labels
            res.bboxes = mask2bbox(masks) if len(masks) else \
                masks.new_zeros((0, 4), dtype=torch.float32)
            results.append(res)
        return results
