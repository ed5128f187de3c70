"""What the metafiles say and whose numbers they are: ``Results`` hold the
published numbers with a ``Results Source`` saying who published them,
``Our Results`` hold ours (never the other way round), and ``Notes`` carry
no study results (they live in docs/shapes_study.md)."""
import glob
import os.path as osp
import re

import pytest
import yaml
from conftest import REPO

METAFILES = sorted(glob.glob(osp.join(REPO, 'configs', '*', 'metafile.yml')))
# seed lists, ratios to a baseline (0.87x), AP of runs: study results
STUDY = re.compile(r'\bseeds? \d|\b\d\.\d+x\b|\b(segm|mask|box) AP \d+\.\d')


def _models(path):
    with open(path) as f:
        return yaml.safe_load(f)['Models']


@pytest.mark.parametrize(
    'path', METAFILES, ids=[osp.relpath(p, REPO) for p in METAFILES])
def test_published_and_our_results_apart(path):
    for model in _models(path):
        name = model['Name']
        published = model.get('Results') or []
        if published:
            source = model.get('Results Source', '')
            assert source.startswith('published'), \
                f'{path}: {name} has Results without a published source'
        for res in published:
            assert 'shapes' not in res['Dataset'], \
                f'{path}: {name} lists our shapes numbers in Results'
        for res in model.get('Our Results') or []:
            assert {'Task', 'Dataset', 'Metrics', 'Setting'} <= set(res), \
                f'{path}: {name}: an Our Results entry lacks a field'
            assert res['Metrics'], f'{path}: {name}: Our Results empty'
            base = res.get('Baseline', {}).get('Config')
            assert base is None or osp.isfile(osp.join(REPO, base)), base


@pytest.mark.parametrize(
    'path', METAFILES, ids=[osp.relpath(p, REPO) for p in METAFILES])
def test_notes_carry_no_study_results(path):
    for model in _models(path):
        notes = (model.get('Metadata') or {}).get('Notes', '')
        assert not STUDY.search(notes), \
            f"{path}: {model['Name']} Notes hold study results: {notes!r}"


def test_study_pattern_catches_what_it_should():
    assert STUDY.search('seed 0, 1 thread (seeds 1-11: mask AP 21.7)')
    assert STUDY.search('mean 0.87x the seed-matched baseline')
    assert STUDY.search('seed 2: mask AP 23.5, box AP 26.6')
    assert not STUDY.search('ablation: + SAM (paper: +0.2 mask AP); '
                            'not trained here')
    assert not STUDY.search('other-class weight 3 in the seed loss')
