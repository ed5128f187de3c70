"""DLA-34 backbone (CenterNet's DLA)."""
import pytest
import torch

from mmseginst.models.backbones import DLA


def test_dla34_levels_and_size():
    model = DLA(depth=34)
    model.init_weights()
    outs = model(torch.randn(1, 3, 64, 96))
    assert [o.shape[1] for o in outs] == [16, 32, 64, 128, 256, 512]
    assert [o.shape[-2:] for o in outs] == [
        (64 // s, 96 // s) for s in (1, 2, 4, 8, 16, 32)]
    # DLA-34 without its classifier: 15.27M parameters (15.74M with it)
    assert sum(p.numel() for p in model.parameters()) == 15270832


def test_checkpoint_names_follow_the_dla_authors():
    keys = DLA(depth=34).state_dict().keys()
    for key in ('base_layer.0.weight', 'level0.0.weight', 'level1.1.bias',
                'level2.tree1.conv1.weight', 'level2.root.conv.weight',
                'level2.project.0.weight', 'level3.tree1.tree1.bn2.weight',
                'level3.tree2.root.conv.weight', 'level5.root.bn.bias'):
        assert key in keys, key
    # level 3's deepest root joins tree2, tree1, the level input and the
    # first subtree: 3 x 128 + 64 channels
    assert DLA(depth=34).level3.tree2.root.conv.in_channels == 448


def test_out_indices_and_errors():
    outs = DLA(depth=34, out_indices=(2, 5))(torch.randn(1, 3, 64, 64))
    assert [o.shape[1] for o in outs] == [64, 512]
    with pytest.raises(KeyError, match='depth'):
        DLA(depth=50)
    with pytest.raises(ValueError, match='out_indices'):
        DLA(out_indices=(6, ))
