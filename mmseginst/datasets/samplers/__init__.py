"""Data samplers of mmseginst."""
from .instance_weighted_sampler import InstanceWeightedSampler

__all__ = ['InstanceWeightedSampler']
