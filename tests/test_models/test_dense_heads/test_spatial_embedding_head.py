import pytest
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.structures import InstanceData

from mmseginst.models.dense_heads.spatial_embedding_head import \
    SpatialEmbeddingHead
from mmseginst.models.layers.coordinate_map import coordinate_map


def sample(h, w, pad, masks, labels, ori=None):
    meta = dict(img_shape=(h, w), ori_shape=ori or (h, w),
                batch_input_shape=pad, scale_factor=(1.0, 1.0))
    gt = InstanceData(
        masks=BitmapMasks(masks.numpy(), h, w),
        labels=torch.as_tensor(labels, dtype=torch.long),
        bboxes=torch.zeros((len(labels), 4)))
    return DetDataSample(metainfo=meta, gt_instances=gt)


def block_prediction(h, w, block, num_classes):
    """Head output (1, 3 + num_classes, h, w), one circular bandwidth:
    offsets that pull the ``block`` (a pair of slices) to its mean
    coordinate, s = 0.6 (exp(6): phi > 0.5 within ~17 px of a center) and
    seed logits -5 everywhere."""
    pred = torch.zeros(1, 3 + num_classes, h, w)
    coords = coordinate_map(h, w)[:, block[0], block[1]]
    center = coords.mean((1, 2))
    pred[0, :2][:, block[0], block[1]] = torch.atanh(
        center[:, None, None] - coords)
    pred[0, 2] = 0.6
    pred[0, 3:] = -5.0
    return pred


def test_outputs_and_official_init():
    head = SpatialEmbeddingHead(num_classes=3, in_channels=32, n_sigma=2)
    head.init_weights()
    feat = torch.randn(2, 32, 4, 6)
    (pred, ) = head((feat, ))
    assert pred.shape == (2, 2 + 2 + 3, 32, 48)
    # offsets 0 -> e = x; bandwidths 1 everywhere
    emb, sigma, seed = head.decode(pred, (32, 48))
    assert torch.equal(emb[0], coordinate_map(32, 48))
    assert torch.allclose(sigma, torch.ones_like(sigma))
    assert ((seed > 0) & (seed < 1)).all()
    with pytest.raises(ValueError, match='n_sigma'):
        SpatialEmbeddingHead(num_classes=1, n_sigma=3)
    with pytest.raises(ValueError, match='test_cfg'):
        SpatialEmbeddingHead(num_classes=1, test_cfg=dict(seed_th=0.5))
    with pytest.raises(ValueError, match='clustering'):
        SpatialEmbeddingHead(num_classes=1, test_cfg=dict(clustering='x'))
    with pytest.raises(ValueError, match='in_stride=8'):
        head.decode(pred, (40, 48))


def test_stride4_input_keeps_full_resolution_and_init():
    """On P2 (in_stride=4) the output is still at input resolution and the
    released init (e = x, s = 1) holds."""
    head = SpatialEmbeddingHead(num_classes=2, in_channels=16, in_stride=4)
    head.init_weights()
    (pred, ) = head((torch.randn(1, 16, 8, 12), ))
    assert pred.shape == (1, 2 + 1 + 2, 32, 48)
    emb, sigma, _ = head.decode(pred, (32, 48))
    assert torch.equal(emb[0], coordinate_map(32, 48))
    assert torch.allclose(sigma, torch.ones_like(sigma))


def test_loss_with_and_without_ground_truth():
    torch.manual_seed(0)
    head = SpatialEmbeddingHead(num_classes=2, in_channels=16)
    feat = (torch.randn(2, 16, 4, 4), )
    masks = torch.zeros(2, 24, 32, dtype=torch.bool)
    masks[0, 2:10, 3:12] = True
    masks[1, 12:20, 15:30] = True
    samples = [
        sample(24, 32, (32, 32), masks, [0, 1]),
        sample(32, 32, (32, 32), torch.zeros(0, 32, 32, dtype=torch.bool),
               [])
    ]
    losses = head.loss(feat, samples)
    assert set(losses) == {'loss_instance', 'loss_variance', 'loss_seed'}
    assert all(torch.isfinite(v) for v in losses.values())
    assert losses['loss_instance'] > 0
    sum(losses.values()).backward()
    # no ground truth at all: only the seed loss is non-zero
    empty = [sample(32, 32, (32, 32),
                    torch.zeros(0, 32, 32, dtype=torch.bool), [])] * 2
    losses = head.loss(feat, empty)
    assert losses['loss_instance'].item() == 0
    assert losses['loss_variance'].item() == 0
    assert losses['loss_seed'] > 0


def test_predict_clusters_and_rescales():
    head = SpatialEmbeddingHead(
        num_classes=2, in_channels=8,
        test_cfg=dict(seed_thr=0.9, min_pixels=10))
    h, w = 32, 40
    # one instance of class 1: high seed on the block, low elsewhere
    block = (slice(5, 15), slice(8, 20))
    pred = block_prediction(h, w, block, num_classes=2)
    pred[0, 4][block] = 5.0
    metas = [dict(img_shape=(h, w), ori_shape=(2 * h, 2 * w),
                  batch_input_shape=(h, w), scale_factor=(0.5, 0.5))]
    for clustering in ('plain', 'fast'):
        head.test_cfg['clustering'] = clustering
        (res, ) = head.predict_by_feat(pred, metas, rescale=True)
        assert res.labels.tolist() == [1]
        assert res.scores.tolist() == pytest.approx([torch.sigmoid(
            torch.tensor(5.0)).item()])
        assert res.masks.shape == (1, 2 * h, 2 * w)
        assert res.masks.sum() == 4 * 10 * 12
        assert res.bboxes.tolist() == [[16.0, 10.0, 40.0, 30.0]]
    # nothing above the seed threshold: empty but well-formed
    pred[0, 4] = -5.0
    (res, ) = head.predict_by_feat(pred, metas, rescale=True)
    assert len(res) == 0 and res.masks.shape == (0, 2 * h, 2 * w)
    assert res.bboxes.shape == (0, 4)


def two_blocks_prediction(h, w, blocks):
    """Head output (1, 4, h, w): each block pulled to its mean coordinate,
    raw bandwidth s = 1 everywhere, seed logits 5 on the blocks and -5
    elsewhere (one class)."""
    pred = torch.zeros(1, 4, h, w)
    pred[0, 3] = -5.0
    for rows, cols in blocks:
        coords = coordinate_map(h, w)[:, rows, cols]
        center = coords.mean((1, 2))
        pred[0, :2, rows, cols] = torch.atanh(center[:, None, None] - coords)
        pred[0, 3, rows, cols] = 5.0
    pred[0, 2] = 1.0
    return pred


def test_clustering_uses_the_heads_sigma_scale_not_the_losss():
    """Two blocks 14 px apart: with precision exp(10 * 1) their Gaussians
    are disjoint (phi ~ 0.02 at the other center), with exp(5 * 1) one
    Gaussian covers both (phi ~ 0.97). Only the head's ``sigma_scale``
    decides; the loss config's plays no part at test time."""
    h, w = 32, 32
    pred = two_blocks_prediction(
        h, w, [(slice(4, 14), slice(2, 12)), (slice(4, 14), slice(16, 26))])
    metas = [dict(img_shape=(h, w), ori_shape=(h, w),
                  batch_input_shape=(h, w), scale_factor=(1.0, 1.0))]
    cases = [(10.0, 5.0, 2), (5.0, 10.0, 1)]
    for head_scale, loss_scale, num_instances in cases:
        head = SpatialEmbeddingHead(
            num_classes=1, in_channels=8, sigma_scale=head_scale,
            loss=dict(type='SpatialEmbeddingLoss', sigma_scale=loss_scale),
            test_cfg=dict(seed_thr=0.6, min_pixels=10))
        (res, ) = head.predict_by_feat(pred, metas, rescale=True)
        assert len(res) == num_instances
        assert res.masks.sum(dim=(1, 2)).tolist() == \
            [200 // num_instances] * num_instances
