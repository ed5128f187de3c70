"""projects/spatial_embeddings_study/seed_map_probe.py: the table on
hand-made seeds, the synthetic images, and a two-iteration run of the
CLI."""
import json

import numpy as np
import torch
from conftest import run_tool

from projects.spatial_embeddings_study.seed_map_probe import (colour_squares,
                                                              seed_table)


def test_seed_table_means_per_object_then_per_class():
    seeds = torch.zeros(1, 2, 4, 4)
    seeds[0, 0, :2] = 0.8  # map 0 high on the top half
    seeds[0, 1, :, :2] = 0.4  # map 1 on the left half
    top_left = np.zeros((4, 4), np.uint8)
    top_left[:2, :2] = 1  # class 0: map 0 0.8, map 1 0.4
    bottom = np.zeros((4, 4), np.uint8)
    bottom[2:] = 1  # class 1: map 0 0, map 1 (4 x 0.4 + 4 x 0) / 8
    right_top = np.zeros((4, 4), np.uint8)
    right_top[0, 2:] = 1  # class 0 again: map 0 0.8, map 1 0
    table = seed_table(seeds, [np.stack([top_left, bottom, right_top])],
                       [torch.tensor([0, 1, 0])])
    np.testing.assert_allclose(table, [[0.8, 0.2], [0.0, 0.2]], atol=1e-6)
    # a class without objects gives a NaN row
    table = seed_table(seeds, [top_left[None]], [torch.tensor([0])])
    assert np.isnan(table[1]).all() and np.allclose(table[0], [0.8, 0.4])


def test_colour_squares_draw_each_class_in_its_channel():
    imgs, samples = colour_squares(8, 32, np.random.default_rng(0))
    assert imgs.shape == (8, 3, 32, 32)
    for img, sample in zip(imgs, samples):
        gt = sample.gt_instances
        for mask, label in zip(gt.masks.masks, gt.labels.tolist()):
            mask = torch.from_numpy(mask).bool()
            if mask.any():  # covered squares may vanish
                assert (img[label][mask] == 1).all()
                assert (img[1 - label][mask] == -1).all()
        covered = torch.from_numpy(gt.masks.masks.sum(0).astype(np.int64))
        assert covered.max() <= 1  # masks do not overlap
        assert (img[:2].max(0).values[covered == 0] == -1).all()


def test_cli_prints_and_writes_tables(tmp_path):
    out = tmp_path / 'probe.json'
    proc = run_tool(['projects/spatial_embeddings_study/seed_map_probe.py',
                     '--iters',
                     '2', '--probe-every', '1', '--size', '32', '--batch',
                     '2', '--json', str(out)])
    assert proc.stdout.count('mean seed inside objects') == 2
    tables = json.loads(out.read_text())['tables']
    assert [t['iter'] for t in tables] == [1, 2]
    for t in tables:
        table = np.array(t['table'], dtype=float)
        assert table.shape == (2, 2)
        assert ((table >= 0) & (table <= 1)).all()
