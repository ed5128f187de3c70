"""tools/misc/model_zoo_table.py: docs/model_zoo.md is what the metafiles
give, each cell is formatted from hand-made metafiles as a reader expects,
and a metafile missing what the table needs is an error naming it."""
import glob
import os
import os.path as osp
import textwrap

import pytest
import yaml
from conftest import REPO, run_tool

from tools.misc.model_zoo_table import MetafileError, model_row, render


def test_model_zoo_doc_is_up_to_date():
    with open(osp.join(REPO, 'docs', 'model_zoo.md')) as f:
        assert f.read() == render(REPO), \
            'run python tools/misc/model_zoo_table.py'


def test_every_metafile_model_has_one_row():
    text = render(REPO)
    paths = glob.glob(osp.join(REPO, 'configs', '*', 'metafile.yml'))
    assert paths
    for path in paths:
        with open(path) as f:
            models = yaml.safe_load(f)['Models']
        for model in models:
            link = f"| [{model['Name']}](../{model['Config']}) |"
            assert text.count(link) == 1, model['Name']


def _write_metafile(root, body):
    folder = osp.join(root, 'configs', 'toy')
    os.makedirs(folder, exist_ok=True)
    with open(osp.join(folder, 'metafile.yml'), 'w') as f:
        f.write(textwrap.dedent(body))


TOY = """\
    Collections:
      - Name: Toy
        Paper:
          URL: https://example.org/toy
    Models:
      - Name: toy_r50_1x_coco
        In Collection: Toy
        Config: configs/toy/toy_r50_1x_coco.py
        Metadata:
          Backbone: R-50
          Batch Size: 16
          Epochs: 12
          Notes: 'not trained here'
          inference time (ms/im):
            - value: 50
              hardware: V100
        Results Source: 'published: toy README'
        Results:
          - Task: Object Detection
            Dataset: COCO
            Metrics:
              box AP: 40.1
          - Task: Instance Segmentation
            Dataset: COCO
            Metrics:
              mask AP: 36.2
          - Task: Instance Segmentation
            Dataset: COCO test-dev
            Metrics:
              mask AP: 36.9
        Weights: null
      - Name: toy_r18_shapes
        In Collection: Toy
        Config: configs/toy/toy_r18_shapes.py
        Metadata:
          Backbone: R-18
          Batch Size: 8
          Iterations: 800
          inference speed (fps):
            - value: 12.5
              hardware: GPU
        Results: null
        Our Results:
          - Task: Instance Segmentation
            Dataset: shapes
            Metrics:
              mask AP: 22.6
            Setting: 'seed 0'
            Baseline:
              Config: configs/base/base_r18_shapes.py
              mask AP: 26.1
        Weights: null
"""


def test_rows_of_a_handmade_metafile(tmp_path):
    _write_metafile(str(tmp_path), TOY)
    text = render(str(tmp_path))
    assert '## Toy\n\n[paper](https://example.org/toy) · ' \
        '[README](../configs/toy/README.md)' in text
    # the three published entries: one dataset's two entries merged
    assert ('| [toy_r50_1x_coco](../configs/toy/toy_r50_1x_coco.py) | R-50 | '
            '12 epochs, batch 16 | COCO: box AP 40.1, mask AP 36.2; COCO '
            'test-dev: mask AP 36.9 | published: toy README | 50 ms/im '
            '(V100) | - | not trained here |') in text
    # ours only in its column, with the setting and the baseline
    assert ('| [toy_r18_shapes](../configs/toy/toy_r18_shapes.py) | R-18 | '
            '800 iterations, batch 8 | - | - | 12.5 fps (GPU) | shapes: mask '
            'AP 22.6 (seed 0; baseline base_r18_shapes: mask AP 26.1) | - |'
            ) in text


def test_published_results_need_a_source():
    model = yaml.safe_load(textwrap.dedent(TOY))['Models'][0]
    del model['Results Source']
    with pytest.raises(MetafileError, match='toy.yml, model toy_r50_1x_coco'
                       ': Results without a Results Source'):
        model_row(model, 'toy.yml')


@pytest.mark.parametrize('key', ['Config', 'Results'])
def test_missing_key_names_file_and_key(key):
    model = yaml.safe_load(textwrap.dedent(TOY))['Models'][1]
    del model[key]
    with pytest.raises(MetafileError, match=f'toy.yml: a model has no {key}'):
        model_row(model, 'toy.yml')


def test_result_without_metrics_names_model(tmp_path):
    _write_metafile(str(tmp_path),
                    TOY.replace('            Metrics:\n              box AP'
                                ': 40.1\n', ''))
    with pytest.raises(MetafileError,
                       match='toy_r50_1x_coco: result 0 has no Metrics'):
        render(str(tmp_path))


def test_cli_writes_then_checks(tmp_path):
    out = str(tmp_path / 'zoo.md')
    proc = run_tool(['tools/misc/model_zoo_table.py', '--out', out])
    assert 'wrote' in proc.stdout
    with open(out) as f:
        assert f.read() == render(REPO)
    run_tool(['tools/misc/model_zoo_table.py', '--out', out, '--check'])
    with open(out, 'a') as f:
        f.write('a hand edit\n')
    proc = run_tool(['tools/misc/model_zoo_table.py', '--out', out,
                     '--check'], check=False)
    assert proc.returncode != 0 and 'is out of date' in proc.stderr
