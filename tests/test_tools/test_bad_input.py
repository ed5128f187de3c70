"""Bad input stops with an error that names the file or key at fault, and
degenerate annotations train without NaN."""
import json
import math
import os.path as osp
import shutil

import numpy as np
import pytest

from conftest import TINY_CONFIG, data_options, run_tool
from mmseginst.datasets.shapes_generator import encode_mask


def test_missing_data_root_names_key_and_path(tmp_path):
    missing = str(tmp_path / 'no_such_root') + '/'
    proc = run_tool(['tools/train.py', TINY_CONFIG, '--work-dir',
                     str(tmp_path / 'w'), '--cfg-options',
                     *data_options(missing)], check=False)
    assert proc.returncode != 0
    assert 'train_dataloader.dataset.data_root' in proc.stderr
    assert missing in proc.stderr
    assert not osp.exists(tmp_path / 'w')  # nothing written


def test_missing_annotation_file_names_path(tiny_shapes, tmp_path):
    proc = run_tool(['tools/train.py', TINY_CONFIG, '--work-dir',
                     str(tmp_path / 'w'), '--cfg-options',
                     *data_options(tiny_shapes),
                     'train_dataloader.dataset.ann_file=annotations/x.json'],
                    check=False)
    assert proc.returncode != 0
    assert osp.join(tiny_shapes, 'annotations/x.json') in proc.stderr
    assert 'train_dataloader.dataset.ann_file' in proc.stderr


def test_missing_config_and_checkpoint(tmp_path, tiny_shapes):
    proc = run_tool(['tools/train.py', 'configs/nope.py'], check=False)
    assert proc.returncode != 0 and 'configs/nope.py' in proc.stderr
    proc = run_tool(['tools/test.py', TINY_CONFIG, str(tmp_path / 'x.pth'),
                     '--cfg-options', *data_options(tiny_shapes)],
                    check=False)
    assert proc.returncode != 0 and str(tmp_path / 'x.pth') in proc.stderr


def test_shapes_dataset_missing_annotation_hint(tmp_path):
    from mmseginst.datasets import ShapesDataset
    with pytest.raises(FileNotFoundError, match='generate_shapes.py'):
        ShapesDataset(data_root=str(tmp_path), ann_file='a/b.json',
                      pipeline=[])


@pytest.fixture
def copied_shapes(tiny_shapes, tmp_path):
    root = tmp_path / 'copy'
    shutil.copytree(tiny_shapes, root)
    return str(root) + '/'


@pytest.mark.parametrize('content', [b'this is not a png', b''],
                         ids=['not-an-image', 'zero-bytes'])
def test_corrupt_image_names_the_file(content, copied_shapes, tmp_path):
    bad = osp.join(copied_shapes, 'train', '000003.png')
    with open(bad, 'wb') as f:
        f.write(content)
    proc = run_tool(['tools/train.py', TINY_CONFIG, '--work-dir',
                     str(tmp_path / 'w'), '--cfg-options',
                     *data_options(copied_shapes),
                     'train_dataloader.sampler.shuffle=False',
                     'train_cfg.max_iters=3'], check=False)
    assert proc.returncode != 0
    assert bad in proc.stderr


def _degenerate_annotations(root):
    path = osp.join(root, 'annotations', 'instances_train.json')
    coco = json.load(open(path))
    anns = coco['annotations']
    first = coco['images'][0]['id']
    second = coco['images'][1]['id']
    # image 1: one box whose mask is empty, one line-like polygon (zero area
    # mask), one box of zero width (filtered by the dataset)
    anns = [a for a in anns if a['image_id'] not in (first, second)]
    empty_rle = encode_mask(np.zeros((64, 64), bool))
    anns += [
        dict(id=9001, image_id=first, category_id=1, iscrowd=0, area=4.0,
             bbox=[10.0, 10.0, 6.0, 6.0], segmentation=empty_rle),
        dict(id=9002, image_id=first, category_id=2, iscrowd=0, area=1.0,
             bbox=[20.0, 20.0, 10.0, 1.0],
             segmentation=[[20.0, 20.0, 30.0, 20.0, 25.0, 20.0]]),
        dict(id=9003, image_id=first, category_id=3, iscrowd=0, area=0.0,
             bbox=[5.0, 5.0, 0.0, 3.0], segmentation=[[5, 5, 5, 8, 5, 6]]),
    ]
    # image 2 keeps no instance at all
    coco['annotations'] = anns
    json.dump(coco, open(path, 'w'))
    return first, second


def test_degenerate_masks_and_empty_images_train_without_nan(
        copied_shapes, tmp_path):
    _degenerate_annotations(copied_shapes)
    work = tmp_path / 'w'
    # batches made only of the two degenerate images
    proc = run_tool(['tools/train.py', TINY_CONFIG, '--work-dir', str(work),
                     '--cfg-options', *data_options(copied_shapes),
                     'train_dataloader.sampler.shuffle=False',
                     'train_dataloader.batch_size=2',
                     'train_cfg.max_iters=4', 'train_cfg.val_interval=100'])
    scalars = [json.loads(line) for p in work.glob('*/vis_data/scalars.json')
               for line in open(p)]
    losses = [s for s in scalars if 'loss' in s]
    assert len(losses) == 4
    for s in losses:
        for key, value in s.items():
            if key.startswith('loss'):
                assert math.isfinite(value), (key, value, proc.stdout[-2000:])


def test_zero_byte_image_error_names_the_file(tmp_path):
    from mmseginst.registry import TRANSFORMS
    from mmseginst.utils import register_all_modules
    register_all_modules()
    empty = tmp_path / 'empty.png'
    empty.write_bytes(b'')
    load = TRANSFORMS.build(dict(type='LoadImageFromFile'))
    with pytest.raises(ValueError, match=r"empty.png' is empty \(0 bytes\)"):
        load(dict(img_path=str(empty)))
    # mmcv's option to skip unreadable images still works
    assert TRANSFORMS.build(dict(type='LoadImageFromFile', ignore_empty=True))(
        dict(img_path=str(empty))) is None


def _train_fails_up_front(root, tmp_path, *options):
    """Run tools/train.py; return its stderr after checking that it failed
    before writing the work dir."""
    work = tmp_path / 'w'
    proc = run_tool(['tools/train.py', TINY_CONFIG, '--work-dir', str(work),
                     '--cfg-options', *data_options(root), *options],
                    check=False)
    assert proc.returncode != 0
    assert not work.exists(), 'the work dir was written'
    return proc.stderr


@pytest.mark.parametrize('content,problem', [
    (b'', 'is empty'),
    (b'{"images": [{"id": 1, "file_name": "a.png"', 'is truncated'),
    (b'<html>not json</html>', 'is not JSON'),
], ids=['empty', 'truncated', 'not-json'])
def test_bad_annotation_json_is_named_up_front(content, problem,
                                               copied_shapes, tmp_path):
    path = osp.join(copied_shapes, 'annotations', 'instances_train.json')
    with open(path, 'wb') as f:
        f.write(content)
    err = _train_fails_up_front(copied_shapes, tmp_path)
    assert f"train_dataloader.dataset.ann_file: annotation file '{path}' " \
        f'{problem}' in err


def test_invalid_json_inside_is_named_when_read(copied_shapes):
    """What the up-front look at both ends cannot see: pycocotools'
    JSONDecodeError gets the file's name."""
    from mmseginst.datasets import ShapesDataset
    from mmseginst.datasets.utils import annotation_errors_named
    path = osp.join(copied_shapes, 'annotations', 'instances_train.json')
    text = open(path).read()
    with open(path, 'w') as f:
        f.write(text.replace('"images":', '"images"', 1))
    with pytest.raises(ValueError, match=f"JSON file '{path}' cannot be "
                       'read'), annotation_errors_named():
        ShapesDataset(data_root=copied_shapes, ann_file=path,
                      data_prefix=dict(img='train/'), pipeline=[])


@pytest.mark.parametrize('key', ['val_evaluator', 'test_evaluator'])
def test_missing_evaluator_annotation_names_the_key(key, tiny_shapes,
                                                    tmp_path):
    missing = str(tmp_path / 'no_such.json')
    if key == 'val_evaluator':
        err = _train_fails_up_front(tiny_shapes, tmp_path,
                                    f'val_evaluator.ann_file={missing}')
    else:
        ckpt = tmp_path / 'x.pth'  # not read: the check comes first
        ckpt.write_bytes(b'')
        proc = run_tool(['tools/test.py', TINY_CONFIG, str(ckpt),
                         '--cfg-options', *data_options(tiny_shapes),
                         f'test_evaluator.ann_file={missing}'], check=False)
        assert proc.returncode != 0
        err = proc.stderr
    assert f"{key}.ann_file: annotation file '{missing}' does not " \
        'exist' in err


def test_evaluator_list_and_metrics_keys_are_named(tmp_path):
    from mmengine.config import Config

    from mmseginst.utils.config_checks import check_data_paths
    cfg = Config(dict(test_evaluator=[
        dict(type='CocoMetric', ann_file=None),
        dict(type='CocoMetric', ann_file=str(tmp_path / 'gone.json'))]))
    with pytest.raises(FileNotFoundError, match=r'test_evaluator\[1\]'):
        check_data_paths(cfg, ['test_dataloader'])
    cfg = Config(dict(val_evaluator=dict(
        type='Evaluator', metrics=[dict(ann_file=str(tmp_path / 'g.json'))])))
    with pytest.raises(FileNotFoundError,
                       match=r'val_evaluator.metrics\[0\].ann_file'):
        check_data_paths(cfg, ['val_dataloader'])


def _rewrite_train_annotations(root, change):
    path = osp.join(root, 'annotations', 'instances_train.json')
    coco = json.load(open(path))
    change(coco)
    json.dump(coco, open(path, 'w'))
    return path


def _rename_categories(coco):
    for cat in coco['categories']:
        cat['name'] += '_x'


def _unknown_category_ids(coco):
    for ann in coco['annotations']:
        ann['category_id'] += 100


def _no_annotations(coco):
    coco['annotations'] = []


@pytest.mark.parametrize('change,why', [
    (_rename_categories, 'none of its categories is named as a class'),
    (_unknown_category_ids, 'it has no annotation of the categories'),
    (_no_annotations, 'it has no annotation of the categories'),
], ids=['category-names', 'category-ids', 'no-annotations'])
def test_annotations_without_any_object_warn(change, why, copied_shapes):
    from mmseginst.datasets import ShapesDataset
    from mmseginst.datasets.utils import warn_if_no_ground_truth
    path = _rewrite_train_annotations(copied_shapes, change)
    dataset = ShapesDataset(data_root=copied_shapes, ann_file=path,
                            data_prefix=dict(img='train/'), pipeline=[],
                            filter_cfg=dict(filter_empty_gt=False))
    warnings = warn_if_no_ground_truth(dataset)
    assert len(warnings) == 1
    assert warnings[0].startswith(f"annotation file '{path}': {why}")
    # the file as written by the generator is fine
    shutil.copy(path.replace('train.json', 'val.json'), path)
    dataset = ShapesDataset(data_root=copied_shapes, ann_file=path,
                            data_prefix=dict(img='val/'), pipeline=[])
    assert warn_if_no_ground_truth(dataset) == []


def test_train_tool_warns_about_no_object(copied_shapes, tmp_path):
    path = _rewrite_train_annotations(copied_shapes, _no_annotations)
    proc = run_tool(['tools/train.py', TINY_CONFIG, '--work-dir',
                     str(tmp_path / 'w'), '--cfg-options',
                     *data_options(copied_shapes), 'train_cfg.max_iters=1',
                     'train_cfg.val_begin=1000'])
    assert f"annotation file '{path}': it has no annotation" in \
        proc.stdout + proc.stderr


@pytest.mark.parametrize('num_classes', [0, 3])
def test_a_wrong_class_count_follows_the_data(num_classes, tiny_shapes):
    """``num_classes=0`` or one too few used to fail deep in a loss
    (``Target 3 is out of bounds``); the tools now set every class count
    of the model from the data's classes before building anything."""
    from mmengine.config import Config

    from mmseginst.datasets import ShapesDataset
    from mmseginst.utils import register_all_modules
    from mmseginst.utils.classes import model_class_counts, prepare_classes
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(TINY_CONFIG)
    cfg.merge_from_dict(
        dict(option.split('=', 1) for option in data_options(tiny_shapes)))
    cfg.model.roi_head.bbox_head.num_classes = num_classes
    prepare_classes(cfg, ['train_dataloader', 'val_dataloader'])
    counts = model_class_counts(cfg.model)
    assert counts['model.roi_head.bbox_head.num_classes'] == 4
    assert set(counts.values()) == {len(ShapesDataset.METAINFO['classes'])}


def test_every_config_has_the_class_count_of_its_data(repo_root):
    """As written, every config's class counts already equal its data's
    class count: the tools have nothing to change."""
    import glob

    from mmengine.config import Config

    from mmseginst.utils import register_all_modules
    from mmseginst.utils.classes import config_classes, set_num_classes
    register_all_modules(init_default_scope=False)
    configs = [p for p in glob.glob(osp.join(repo_root, 'configs', '**',
                                             '*.py'), recursive=True)
               if '_base_' not in p]
    assert configs
    for path in configs:
        cfg = Config.fromfile(path)
        classes, _ = config_classes(cfg)
        assert set_num_classes(cfg.model, len(classes)) == [], path


def test_misspelt_cfg_option_is_refused_with_the_nearest_key(tiny_shapes,
                                                             tmp_path):
    err = _train_fails_up_front(tiny_shapes, tmp_path,
                                'train_dataloder.batch_size=2')
    assert "--cfg-options train_dataloder.batch_size: the config has no " \
        "key 'train_dataloder'; did you mean 'train_dataloader'?" in err


def test_new_top_level_cfg_option_is_let_through(monkeypatch):
    from mmengine.config import Config

    from mmseginst.utils import config_checks
    logged = []
    monkeypatch.setattr(config_checks, 'print_log',
                        lambda msg, **kwargs: logged.append(msg))
    cfg = Config.fromfile(TINY_CONFIG)
    # Runner arguments that the config does not set are known keys
    config_checks.check_cfg_options(
        cfg, {'experiment_name': 'x', 'randomness.seed': 1})
    assert logged == []
    config_checks.check_cfg_options(cfg, {'my_custom_setting': 3})
    assert "'my_custom_setting' is not a key of the config" in logged[0]
    with pytest.raises(ValueError, match="did you mean 'default_hooks'"):
        config_checks.check_cfg_options(cfg,
                                        {'default_hook.logger.interval': 5})


def test_demo_skips_unreadable_files_and_names_them(tiny_checkpoint,
                                                    tiny_shapes, tmp_path):
    folder = tmp_path / 'images'
    folder.mkdir()
    for name in ('000000.png', '000001.png'):
        shutil.copy(osp.join(tiny_shapes, 'val', name), folder / name)
    (folder / 'empty.png').write_bytes(b'')
    (folder / 'text.jpg').write_text('not an image')
    (folder / 'sub').mkdir()
    shutil.copy(osp.join(tiny_shapes, 'val', '000002.png'),
                folder / 'sub' / '000002.png')
    out_dir = tmp_path / 'out'
    proc = run_tool(['demo/image_demo.py', str(folder), TINY_CONFIG,
                     '--weights', tiny_checkpoint, '--out-dir', str(out_dir)])
    assert f'skipping {folder / "empty.png"}: not a readable image ' \
        '(0 bytes)' in proc.stderr
    assert f'skipping {folder / "text.jpg"}' in proc.stderr
    assert '1 subfolder(s) not searched (sub)' in proc.stderr
    assert sorted(p.name for p in (out_dir / 'vis').iterdir()) == [
        '000000.png', '000001.png']
