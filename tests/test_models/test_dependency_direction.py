"""The direction of dependencies inside mmseginst/models, read from the
imports of every file (ast), so that it stays as designed:

* layers/ and utils/ hold what several components share: they import no
  head, detector, backbone or loss;
* a head file (dense_heads/, roi_heads/ and its mask_heads/) imports
  layers/, utils/ and RoI extractors, never another head's file (except a
  head it subclasses), a backbone or a loss; other components reach it
  through registered builds (``MODELS.build``);
* RoI extractors (roi_heads/roi_extractors/) import no head;
* backbones, necks and losses import no head or detector, and no loss or
  backbone of another kind;
* imports inside the package are relative.
"""
import ast
import glob
import os.path as osp

import pytest

from conftest import REPO

MODELS_DIR = osp.join(REPO, 'mmseginst', 'models')
FILES = sorted(
    p for p in glob.glob(osp.join(MODELS_DIR, '**', '*.py'), recursive=True)
    if osp.basename(p) != '__init__.py')
HEADS = ('dense_heads', 'roi_heads')
# what the files of each folder must not import
FORBIDDEN = {
    'layers': HEADS + ('detectors', 'backbones', 'losses', 'necks'),
    'utils': HEADS + ('detectors', 'backbones', 'losses', 'necks'),
    'dense_heads': HEADS + ('detectors', 'backbones', 'losses', 'necks'),
    'roi_heads': HEADS + ('detectors', 'backbones', 'losses', 'necks'),
    'roi_extractors': HEADS + ('detectors', 'backbones', 'losses', 'necks'),
    'backbones': HEADS + ('detectors', 'losses', 'necks'),
    'necks': HEADS + ('detectors', 'losses', 'backbones'),
    'losses': HEADS + ('detectors', 'backbones', 'necks'),
}


def module_name(path, root=REPO):
    rel = osp.relpath(path, root)[:-len('.py')]
    return rel.replace(osp.sep, '.')


def imports(path, root=REPO):
    """(absolute module, imported names, line, is_relative) per import."""
    tree = ast.parse(open(path).read(), path)
    package = module_name(path, root).split('.')[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno, False
        elif isinstance(node, ast.ImportFrom):
            names = [alias.name for alias in node.names]
            if node.level:
                base = package[:len(package) - node.level + 1]
                target = '.'.join(base + ([node.module]
                                          if node.module else []))
                yield target, names, node.lineno, True
            else:
                yield node.module, names, node.lineno, False


def base_class_names(path):
    tree = ast.parse(open(path).read(), path)
    return {
        base.id
        for node in ast.walk(tree) if isinstance(node, ast.ClassDef)
        for base in node.bases if isinstance(base, ast.Name)
    }


def folder_of(module):
    """The models/ folder a module belongs to, or None outside models."""
    parts = module.split('.')
    if parts[:2] != ['mmseginst', 'models'] or len(parts) < 3:
        return None
    if parts[2:4] == ['roi_heads', 'roi_extractors']:
        return 'roi_extractors'
    return parts[2]


def violations(path, root=REPO):
    own = folder_of(module_name(path, root))
    forbidden = FORBIDDEN.get(own, ())
    bases = base_class_names(path)
    found = []
    for target, names, line, relative in imports(path, root):
        where = f'{osp.relpath(path, root)}:{line}'
        if target.startswith('mmseginst') and not relative:
            found.append(f'{where}: absolute import of {target}')
        folder = folder_of(target)
        if folder not in forbidden:
            continue
        if folder in HEADS and own in HEADS and names and \
                set(names) <= bases:
            continue  # a head subclassing another head
        found.append(f'{where}: {own}/ imports {target}')
    return found


def test_the_rules_see_a_bad_import(tmp_path):
    """A head file that imports a backbone's block, another head's helper
    or uses an absolute import is caught; subclassing a head is not."""
    fake = tmp_path / 'mmseginst' / 'models' / 'dense_heads' / 'x_head.py'
    fake.parent.mkdir(parents=True)
    fake.write_text(
        'from mmseginst.registry import MODELS\n'
        'from ..backbones.erfnet import ERFNET_NORM\n'
        'from .other_head import helper\n'
        'from .base_head import BaseHead\n'
        'from ..layers.mask_assembly import assemble_masks\n\n\n'
        'class XHead(BaseHead):\n    pass\n')
    found = violations(str(fake), str(tmp_path))
    assert len(found) == 3, found
    assert 'absolute import of mmseginst.registry' in found[0]
    assert 'imports mmseginst.models.backbones.erfnet' in found[1]
    assert 'imports mmseginst.models.dense_heads.other_head' in found[2]


@pytest.mark.parametrize(
    'path', FILES, ids=[osp.relpath(p, MODELS_DIR) for p in FILES])
def test_dependencies_point_one_way(path):
    assert violations(path) == []
