"""tools/misc/gather_results.py: the table of finished runs and the
metafile field."""
import glob
import json
import os.path as osp
import shutil

import yaml

from conftest import run_tool

METAFILE = """Collections:
  - Name: Tiny
    Paper:
      Title: 'A paper'

Models:
  - Name: first
    In Collection: Tiny
    Config: configs/tiny/first.py
    Results:
      - Task: Instance Segmentation
        Dataset: COCO
        Metrics:
          mask AP: 30.1

  - Name: mask-rcnn_tiny_shapes
    In Collection: Tiny
    Config: tests/data/configs/mask-rcnn_tiny_shapes.py
    # the paper's numbers
    Results:
      - Task: Instance Segmentation
        Dataset: COCO
        Metrics:
          mask AP: 33.3
    Weights: null

  - Name: last
    In Collection: Tiny
    Config: configs/tiny/last.py
    Weights: null
"""


def _last_metrics(work):
    """The metrics of the test run, read from its JSON log here."""
    (log, ) = [p for p in glob.glob(osp.join(work, '*', '*.json'))]
    with open(log) as f:
        entry = json.loads(f.read().splitlines()[-1])
    return (round(100 * entry['coco/bbox_mAP'], 1),
            round(100 * entry['coco/segm_mAP'], 1))


def test_table_and_metafile(tiny_run, tmp_path):
    runs = tmp_path / 'work_dirs'
    shutil.copytree(tiny_run, runs / 'tiny')
    (runs / 'empty').mkdir()
    metafile = tmp_path / 'metafile.yml'
    metafile.write_text(METAFILE)
    box, mask = _last_metrics(tiny_run)
    out = tmp_path / 'table.md'
    proc = run_tool(['tools/misc/gather_results.py', str(runs), '--out',
                     str(out), '--update-metafiles', '--metafiles',
                     str(metafile)])
    rows = out.read_text().splitlines()
    assert rows[0].startswith('| Config | Method | Dataset | box AP |')
    assert rows[2] == (f'| mask-rcnn_tiny_shapes.py | Tiny | shapes | {box}'
                       f' | {mask} | 4 | {runs / "tiny"} |')
    assert len(rows) == 3
    assert 'mask-rcnn_tiny_shapes.py -> Our Results' in proc.stdout

    ours = [dict(Task='Object Detection', Dataset='shapes',
                 Metrics={'box AP': box}),
            dict(Task='Instance Segmentation', Dataset='shapes',
                 Metrics={'mask AP': mask})]
    expected = yaml.safe_load(METAFILE)
    expected['Models'][1]['Our Results'] = ours
    assert yaml.safe_load(metafile.read_text()) == expected
    # the rest of the text is kept as it was, comment included
    assert metafile.read_text().startswith(METAFILE.split('    Weights: '
                                                          'null')[0])
    # a second run replaces the field
    run_tool(['tools/misc/gather_results.py', str(runs / 'tiny'),
              '--update-metafiles', '--metafiles', str(metafile),
              '--dataset', 'tiny shapes'])
    models = yaml.safe_load(metafile.read_text())['Models']
    assert [m['Dataset'] for m in models[1]['Our Results']] == ['tiny shapes'] * 2
    assert models[0] == expected['Models'][0]
    assert models[2] == expected['Models'][2]


def test_unlisted_config_and_missing_dir(tiny_run, tmp_path):
    metafile = tmp_path / 'metafile.yml'
    other = METAFILE.replace('tests/data/configs/mask-rcnn_tiny_shapes.py',
                             'configs/tiny/other.py')
    metafile.write_text(other)
    proc = run_tool(['tools/misc/gather_results.py', tiny_run,
                     '--update-metafiles', '--metafiles', str(metafile)])
    assert 'mask-rcnn_tiny_shapes.py: in no metafile, not written' in \
        proc.stdout
    assert metafile.read_text() == other
    proc = run_tool(['tools/misc/gather_results.py', str(tmp_path / 'no')],
                    check=False)
    assert proc.returncode != 0 and 'does not exist' in proc.stderr
