from collections import Counter

import pytest

from mmseginst.datasets.samplers import InstanceWeightedSampler


class FakeDataset:

    def __init__(self, counts):
        self.infos = [
            dict(instances=[dict(ignore_flag=0)] * n + [dict(ignore_flag=1)])
            for n in counts
        ]

    def __len__(self):
        return len(self.infos)

    def get_data_info(self, i):
        return self.infos[i]


def test_draws_in_proportion_to_instances():
    sampler = InstanceWeightedSampler(FakeDataset([0, 1, 3]),
                                      num_samples=4000, seed=0)
    draws = list(sampler)
    assert len(draws) == len(sampler) == 4000
    freq = Counter(draws)
    assert 0 not in freq  # only an ignored instance
    assert freq[2] / freq[1] == pytest.approx(3, rel=0.15)
    # a new epoch is a new draw, the same epoch the same draw
    sampler.set_epoch(1)
    assert list(sampler) != draws
    sampler.set_epoch(0)
    assert list(sampler) == draws


def test_uniform_and_bad_input():
    sampler = InstanceWeightedSampler(FakeDataset([0, 0, 5]), 3000,
                                      weight_by_instances=False, seed=1)
    freq = Counter(sampler)
    assert min(freq.values()) > 800
    with pytest.raises(ValueError, match='no \\(non-ignored\\) instance'):
        InstanceWeightedSampler(FakeDataset([0, 0]), 10, seed=0)
    with pytest.raises(ValueError, match='num_samples'):
        InstanceWeightedSampler(FakeDataset([1]), 0, seed=0)
