"""The user's guide stays a guide: the README is short, config comments carry
no study results, and every link and file path the Markdown pages give
leads somewhere."""
import glob
import os.path as osp
import re

import pytest
from conftest import REPO

PAGES = sorted(
    [osp.join(REPO, 'README.md')] +
    glob.glob(osp.join(REPO, 'docs', '*.md')) +
    glob.glob(osp.join(REPO, 'configs', '*', 'README.md')) +
    glob.glob(osp.join(REPO, 'projects', '**', 'README.md'), recursive=True))
# the pattern the project's before-stop hook flags in configs
STUDY_IN_CONFIG = re.compile(r'segm AP [0-9]|seeds? [0-9]+[-/ ]')
LINK = re.compile(r'\[[^\]]*\]\(([^)\s]+)\)')
CODE_PATH = re.compile(
    r'`((?:mmseginst|tools|configs|projects|docs|demo|tests)/'
    r'[\w./-]+\.(?:py|md|yml|sh))`')
# Pages that another branch of the same release writes
# (docs/reproducibility.md, `trust` branch): not required until it exists.
NEW_PAGES = ('docs/reproducibility.md', )


def _exists(path):
    if osp.exists(path):
        return True
    if osp.relpath(path, REPO) in NEW_PAGES:
        return True
    return False


def github_anchor(heading):
    """The id GitHub gives a Markdown heading."""
    text = heading.strip().lower()
    text = re.sub(r'[^\w\- ]', '', text)
    return text.replace(' ', '-')


def _anchors(path):
    with open(path) as f:
        text = re.sub(r'```.*?```', '', f.read(), flags=re.S)
    return {github_anchor(h) for h in re.findall(r'^#+ (.+)$', text, re.M)}


def test_readme_is_a_front_door():
    with open(osp.join(REPO, 'README.md')) as f:
        lines = f.read().splitlines()
    assert len(lines) <= 170, \
        f'README.md has {len(lines)} lines: move details to docs/'


def test_config_comments_carry_no_study_results():
    flagged = []
    for path in glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                          recursive=True):
        with open(path) as f:
            for i, line in enumerate(f, 1):
                if '#' in line and STUDY_IN_CONFIG.search(line):
                    flagged.append(f'{osp.relpath(path, REPO)}:{i}')
    assert not flagged, f'study results in config comments: {flagged} ' \
        '(they belong in docs/shapes_study.md)'


def test_github_anchor():
    assert github_anchor('1. The protocol and the summary') == \
        '1-the-protocol-and-the-summary'
    assert github_anchor('Checkpoints under torch >= 2.6 and '
                         '`--trust-checkpoint`') == \
        'checkpoints-under-torch--26-and---trust-checkpoint'


@pytest.mark.parametrize('page', PAGES,
                         ids=[osp.relpath(p, REPO) for p in PAGES])
def test_links_and_paths_resolve(page):
    with open(page) as f:
        text = f.read()
    broken = []
    for target in LINK.findall(text):
        if re.match(r'[a-z]+://', target):
            continue
        path, _, anchor = target.partition('#')
        full = osp.normpath(osp.join(osp.dirname(page), path)) \
            if path else page
        if not _exists(full):
            broken.append(target)
        elif anchor and full.endswith('.md') and \
                anchor not in _anchors(full):
            broken.append(target)
    for path in CODE_PATH.findall(text):
        if not _exists(osp.join(REPO, path)):
            broken.append(path)
    assert not broken, f'{osp.relpath(page, REPO)}: broken {broken}'
