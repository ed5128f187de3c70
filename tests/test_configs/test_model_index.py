"""model-index.yml (OpenMMLab's index, read by ``mim``) lists every
configs/*/metafile.yml, and every file it lists exists."""
import glob
import os.path as osp

import yaml

from conftest import REPO


def test_model_index_lists_every_metafile():
    with open(osp.join(REPO, 'model-index.yml')) as f:
        listed = yaml.safe_load(f)['Import']
    missing = [p for p in listed if not osp.isfile(osp.join(REPO, p))]
    assert missing == [], f'model-index.yml lists missing files: {missing}'
    metafiles = sorted(
        osp.relpath(p, REPO)
        for p in glob.glob(osp.join(REPO, 'configs', '*', 'metafile.yml')))
    assert metafiles, 'no configs/*/metafile.yml found'
    unlisted = sorted(set(metafiles) - set(listed))
    assert unlisted == [], \
        f'model-index.yml does not list {unlisted}: add them under Import'
    assert len(set(listed)) == len(listed), 'model-index.yml repeats a file'
