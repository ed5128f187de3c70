"""Fixed-size random epochs, optionally weighted by instance count.

SpatialEmbeddings defines an epoch as ``size=3000`` random draws (with
replacement) from its pre-cut crops, one crop per instance. With
:class:`~mmseginst.datasets.transforms.InstanceCenteredCrop` cutting the
crop online, drawing images with probability proportional to their number of
(non-ignored) instances gives every instance the same chance, as the
original. With ``weight_by_instances=False`` images are drawn uniformly
(stage 2: random 1024x1024 crops of full images).
"""
import math
from typing import Iterator, Optional, Sized

import torch
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from ...registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class InstanceWeightedSampler(Sampler):
    """Draw ``num_samples`` indices per epoch with replacement.

    Args:
        dataset (Sized): An mmdet dataset (``get_data_info(i)['instances']``
            is read when ``weight_by_instances``).
        num_samples (int): Draws per epoch over all ranks (3000).
        weight_by_instances (bool): Probability of an image proportional to
            its non-ignored instances (True) or uniform (False).
        seed (int, optional): Base seed, shared by all ranks.
    """

    def __init__(self,
                 dataset: Sized,
                 num_samples: int = 3000,
                 weight_by_instances: bool = True,
                 seed: Optional[int] = None) -> None:
        if num_samples < 1:
            raise ValueError(f'num_samples must be >= 1, got {num_samples}')
        self.rank, self.world_size = get_dist_info()
        self.seed = sync_random_seed() if seed is None else seed
        self.epoch = 0
        if weight_by_instances:
            counts = [
                sum(not ins.get('ignore_flag', 0)
                    for ins in dataset.get_data_info(i).get('instances', []))
                for i in range(len(dataset))
            ]
            self.weights = torch.tensor(counts, dtype=torch.float64)
            if self.weights.sum() == 0:
                raise ValueError('weight_by_instances=True but the dataset '
                                 'has no (non-ignored) instance')
        else:
            self.weights = torch.ones(len(dataset), dtype=torch.float64)
        self.num_per_rank = math.ceil(num_samples / self.world_size)

    def __iter__(self) -> Iterator[int]:
        gen = torch.Generator()
        gen.manual_seed(self.seed + self.epoch)
        draws = torch.multinomial(self.weights,
                                  self.num_per_rank * self.world_size,
                                  replacement=True, generator=gen)
        return iter(draws[self.rank::self.world_size].tolist())

    def __len__(self) -> int:
        return self.num_per_rank

    def set_epoch(self, epoch: int) -> None:
        """A different draw each epoch (called by the training loop)."""
        self.epoch = epoch
