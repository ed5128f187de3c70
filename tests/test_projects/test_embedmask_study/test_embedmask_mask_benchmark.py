"""projects/embedmask_study/embedmask_mask_benchmark.py: on the inputs it
draws, the box-bounded mask step and the dense one it is compared with give
the same masks (its timings are not checked: speed is what the script
measures, not what tests assert)."""
import argparse

import torch

from mmseginst.models.layers.embedding_coupling import (
    box_bounded_masks, boxes_to_grid_regions)
from projects.embedmask_study.embedmask_mask_benchmark import (PADDING,
                                                               STRIDE, THR,
                                                               dense_masks,
                                                               make_inputs)


def test_bounded_and_dense_give_the_same_masks():
    args = argparse.Namespace(shape=[64, 96], num_dets=6, embed_dims=4,
                              boxes='random', device='cpu')
    pixels, embeds, margins, boxes, out_shape = make_inputs(args)
    assert pixels.shape == (4, 16, 24) and boxes.shape == (6, 4)
    regions = boxes_to_grid_regions(boxes, STRIDE, PADDING,
                                    pixels.shape[-2:])
    resized = tuple(STRIDE * g for g in pixels.shape[-2:])
    bounded = box_bounded_masks(pixels, embeds, margins, regions, out_shape,
                                resized, THR)
    dense = dense_masks(pixels, embeds, margins, regions, out_shape)
    assert bounded.shape == dense.shape == (6, 64, 96)
    assert dense.any() and torch.equal(bounded, dense)

