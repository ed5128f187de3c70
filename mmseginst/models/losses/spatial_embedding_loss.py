"""SpatialEmbeddings loss (Neven et al., CVPR 2019, Sec. 3.2-3.5).

For an image with pixel embeddings e_i = x_i + tanh(o_i) (2 coordinates),
raw bandwidth maps s_i (``n_sigma`` channels: 1 circular, 2 elliptical),
seed probabilities q_i^c = sigmoid(seed logits) (one map per class) and
instances S_k of class c_k:

* center C_k = mean_{i in S_k} x_i (``to_center=True``) or the mean of the
  embeddings e_i (the paper's learnable center of attraction);
* bandwidth s_k = mean_{i in S_k} s_i, precision exp(10 s_k) = 1/(2 sigma^2)
  per axis (Eq. 5-6);
* phi_k(e_i) = exp(-sum_d exp(10 s_kd) (e_id - C_kd)^2) over every pixel;
* instance loss: Lovász hinge of 2 phi_k - 1 against S_k, mean over k;
* variance loss: mean_{i in S_k} (s_i - s_k.detach())^2, mean over k and d
  (it smooths the raw s, before the exp);
* seed loss (Eq. 9): for each class c, [sum over pixels of no class-c
  instance of (q^c)^2 + w_fg^c sum_{k: c_k=c} sum_{i in S_k}
  (q_i^c - phi_k(e_i).detach())^2] / (number of pixels), summed over c;
  with several classes, the background pixels of map c that lie on an
  instance of another class can be weighted by ``other_class_weight``
  (w_oc, our addition; 1, the released formula, counts them as any
  background pixel);
* total = w_inst L_inst + w_var L_var + w_seed L_seed per image, averaged
  over the batch.

The functions below compute these parts for all instances of an image at
once ((K, P) tensors, K instances of P pixels); the Lovász hinge is
:func:`mmseginst.models.losses.lovasz_hinge`.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from torch import Tensor, nn

from ...registry import MODELS
from .lovasz_hinge_loss import lovasz_hinge


def instance_gaussians(embedding: Tensor,
                       sigma: Tensor,
                       masks: Tensor,
                       coords: Tensor,
                       to_center: bool = True,
                       sigma_scale: float = 10.0) -> Tuple[Tensor, Tensor]:
    """phi_k(e_i) of every instance at every pixel.

    Args:
        embedding (Tensor): (2, P) pixel embeddings e.
        sigma (Tensor): (n_sigma, P) raw bandwidth s (n_sigma 1 or 2).
        masks (Tensor): (K, P) binary instance masks (non-empty).
        coords (Tensor): (2, P) pixel coordinates x.
        to_center (bool): Center at the mean pixel coordinate (True) or at
            the mean embedding (False, learnable center).
        sigma_scale (float): The factor 10 of exp(10 s).

    Returns:
        tuple[Tensor, Tensor]: phi (K, P) and the per-instance mean raw
        bandwidth s_k (K, n_sigma).
    """
    m = masks.to(embedding.dtype)
    area = m.sum(1, keepdim=True)
    center = (m @ (coords if to_center else embedding).t()) / area  # K x 2
    s_mean = (m @ sigma.t()) / area  # K x n_sigma
    precision = torch.exp(s_mean * sigma_scale).expand(-1, 2)  # K x 2
    dist = precision[:, 0:1] * (embedding[0:1] - center[:, 0:1])**2 + \
        precision[:, 1:2] * (embedding[1:2] - center[:, 1:2])**2
    return torch.exp(-dist), s_mean


def variance_loss(sigma: Tensor, masks: Tensor, s_mean: Tensor) -> Tensor:
    """Per-instance variance of the raw bandwidth around its (detached)
    mean.

    Args:
        sigma (Tensor): (n_sigma, P) raw bandwidth.
        masks (Tensor): (K, P) binary masks.
        s_mean (Tensor): (K, n_sigma) mean of ``sigma`` in each mask.

    Returns:
        Tensor: (K,) mean over the mask pixels and the n_sigma channels.
    """
    m = masks.to(sigma.dtype)
    sq = (sigma.unsqueeze(0) - s_mean.detach().unsqueeze(2))**2  # K x n x P
    return (sq * m.unsqueeze(1)).sum((1, 2)) / (m.sum(1) * sigma.shape[0])


def seed_loss(seed: Tensor,
              masks: Tensor,
              labels: Tensor,
              phi: Tensor,
              foreground_weight: Tensor,
              valid: Optional[Tensor] = None,
              other_class_weight: float = 1.0) -> Tensor:
    """Seed-map regression of one image (Eq. 9), summed over classes.

    Args:
        seed (Tensor): (C, P) seed probabilities.
        masks (Tensor): (K, P) binary masks.
        labels (Tensor): (K,) class of each instance.
        phi (Tensor): (K, P) the Gaussians (detached here: they are the
            target of the foreground pixels).
        foreground_weight (Tensor): (C,) weight of the foreground term.
        valid (Tensor, optional): (P,) bool, pixels of the image (not
            padding); all pixels if None.
        other_class_weight (float): weight of the background term of map
            c on pixels of instances of other classes (1: plain
            background).

    Returns:
        Tensor: scalar, the loss divided by the number of valid pixels.
    """
    m = masks.to(seed.dtype)
    valid = torch.ones_like(seed[0], dtype=torch.bool) if valid is None \
        else valid.bool()
    fg = seed.new_zeros(seed.shape).index_add_(0, labels, m) > 0  # C x P
    bg = (~fg & valid).to(seed.dtype)
    if other_class_weight != 1.0:
        on_object = fg.any(0, keepdim=True)  # 1 x P
        bg = bg * torch.where(on_object, bg.new_tensor(other_class_weight),
                              bg.new_tensor(1.0))
    bg_term = (seed**2 * bg).sum()
    fg_err = ((seed[labels] - phi.detach())**2 * m).sum(1)  # K
    fg_term = (foreground_weight[labels] * fg_err).sum()
    return (bg_term + fg_term) / valid.sum().clamp(min=1)


def spatial_embedding_loss(
        embedding: Tensor,
        sigma: Tensor,
        seed: Tensor,
        coords: Tensor,
        masks: Tensor,
        labels: Tensor,
        valid: Optional[Tensor] = None,
        to_center: bool = True,
        foreground_weight: Union[float, Sequence[float]] = 10.0,
        sigma_scale: float = 10.0,
        other_class_weight: float = 1.0) -> Tuple[Tensor, Tensor, Tensor]:
    """The three unweighted losses of one image.

    Args:
        embedding (Tensor): (2, H, W) embeddings e = x + tanh(o).
        sigma (Tensor): (n_sigma, H, W) raw bandwidth.
        seed (Tensor): (C, H, W) seed probabilities (after sigmoid).
        coords (Tensor): (2, H, W) pixel coordinates x.
        masks (Tensor): (K, H, W) bool instance masks (K may be 0; empty
            masks are ignored).
        labels (Tensor): (K,) long classes in [0, C).
        valid (Tensor, optional): (H, W) bool, the image without padding.
        to_center, foreground_weight, sigma_scale, other_class_weight: See
            :class:`SpatialEmbeddingLoss`.

    Returns:
        tuple[Tensor]: instance, variance and seed losses (scalars); the
        first two are 0 (with a graph) without instances.
    """
    num_classes = seed.shape[0]
    p = embedding.shape[-2] * embedding.shape[-1]
    embedding, sigma = embedding.reshape(2, p), sigma.reshape(-1, p)
    seed, coords = seed.reshape(num_classes, p), coords.reshape(2, p)
    valid = None if valid is None else valid.reshape(p).bool()
    masks = masks.reshape(-1, p).bool()
    if valid is not None:
        masks = masks & valid
    keep = masks.any(1)
    masks, labels = masks[keep], labels[keep].long()
    fg_weight = torch.as_tensor(foreground_weight, dtype=seed.dtype,
                                device=seed.device).expand(num_classes)
    if len(masks) == 0:
        zero = embedding.sum() * 0 + sigma.sum() * 0
        empty = masks.new_zeros((0, p), dtype=seed.dtype)
        return zero, zero, seed_loss(seed, masks, labels, empty, fg_weight,
                                     valid, other_class_weight)
    phi, s_mean = instance_gaussians(embedding, sigma, masks, coords,
                                     to_center, sigma_scale)
    lovasz_valid = None if valid is None else valid.expand_as(phi)
    loss_inst = lovasz_hinge(2 * phi - 1, masks, lovasz_valid).mean()
    loss_var = variance_loss(sigma, masks, s_mean).mean()
    loss_seed = seed_loss(seed, masks, labels, phi, fg_weight, valid,
                          other_class_weight)
    return loss_inst, loss_var, loss_seed


@MODELS.register_module()
class SpatialEmbeddingLoss(nn.Module):
    """SpatialEmbeddings' joint loss on a batch.

    Args:
        to_center (bool): Gaussian centered at the mean pixel coordinate
            (True, the released model) or at the mean embedding (False).
        foreground_weight (float | list[float]): w_fg of the seed loss, one
            value or one per class (10).
        sigma_scale (float): Precision exp(sigma_scale * s) (10).
        instance_weight (float): w_inst (1).
        variance_weight (float): w_var (10).
        seed_weight (float): w_seed (1).
        other_class_weight (float): [our addition, in neither the paper
            nor the released code] with several classes, weight of the
            background term of seed map c on the pixels of instances of
            other classes; values above 1 push the one-vs-all seed maps to
            tell the classes apart. 1 (the default) is the released
            formula, kept by the Cityscapes configs (the paper trains one
            class at a time); the shapes config (4 classes) uses 3.
    """

    def __init__(self,
                 to_center: bool = True,
                 foreground_weight: Union[float, Sequence[float]] = 10.0,
                 sigma_scale: float = 10.0,
                 instance_weight: float = 1.0,
                 variance_weight: float = 10.0,
                 seed_weight: float = 1.0,
                 other_class_weight: float = 1.0):
        super().__init__()
        self.to_center = to_center
        self.foreground_weight = foreground_weight
        self.sigma_scale = sigma_scale
        self.instance_weight = instance_weight
        self.variance_weight = variance_weight
        self.seed_weight = seed_weight
        if other_class_weight < 0:
            raise ValueError(f'other_class_weight must be >= 0, got '
                             f'{other_class_weight}')
        self.other_class_weight = other_class_weight

    def forward(self,
                embeddings: Tensor,
                sigmas: Tensor,
                seeds: Tensor,
                coords: Tensor,
                gt_masks: List[Tensor],
                gt_labels: List[Tensor],
                valid: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """
        Args:
            embeddings (Tensor): (B, 2, H, W).
            sigmas (Tensor): (B, n_sigma, H, W) raw bandwidth.
            seeds (Tensor): (B, C, H, W) seed probabilities.
            coords (Tensor): (2, H, W) pixel coordinates.
            gt_masks (list[Tensor]): B tensors (K_b, H, W) bool.
            gt_labels (list[Tensor]): B tensors (K_b,).
            valid (Tensor, optional): (B, H, W) bool, pixels not padding.

        Returns:
            dict[str, Tensor]: ``loss_instance``, ``loss_variance`` and
            ``loss_seed``, weighted and averaged over the batch.
        """
        num_classes = seeds.shape[1]
        if isinstance(self.foreground_weight, (list, tuple)) and \
                len(self.foreground_weight) != num_classes:
            raise ValueError(
                f'foreground_weight has {len(self.foreground_weight)} '
                f'values but the head predicts {num_classes} seed maps')
        parts = [
            spatial_embedding_loss(
                embeddings[b], sigmas[b], seeds[b], coords, gt_masks[b],
                gt_labels[b], None if valid is None else valid[b],
                self.to_center, self.foreground_weight, self.sigma_scale,
                self.other_class_weight)
            for b in range(embeddings.shape[0])
        ]
        inst, var, seed = (torch.stack(p).mean() for p in zip(*parts))
        return dict(
            loss_instance=self.instance_weight * inst,
            loss_variance=self.variance_weight * var,
            loss_seed=self.seed_weight * seed)
