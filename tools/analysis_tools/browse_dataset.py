"""Draw the ground truth as the model sees it, after the data pipeline.

    python tools/analysis_tools/browse_dataset.py CONFIG \
        [--output-dir DIR] [--not-show] [--show-interval 2] \
        [--phase train] [--max-images N] [--scale S] [--classes NAME ...] \
        [--cfg-options ...]

mmdet's tool and flags, plus ``--phase`` (which dataloader's dataset),
``--max-images`` and ``--scale`` (drawing scale; default: small images are
enlarged to a short side of at least 512 px). With ``--output-dir`` one
picture per image is written there, named after the image file.
"""
import argparse
import os.path as osp

from mmengine.config import DictAction
from mmengine.utils import ProgressBar

from mmseginst.utils.classes import read_tool_config


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Browse a dataset')
    parser.add_argument('config', help='config file')
    parser.add_argument('--output-dir', help='folder for the pictures')
    parser.add_argument('--not-show', action='store_true',
                        help='do not open a window')
    parser.add_argument('--show-interval', type=float, default=2,
                        help='seconds each picture is shown')
    parser.add_argument('--phase', default='train',
                        choices=['train', 'val', 'test'],
                        help='the dataloader whose dataset is drawn')
    parser.add_argument('--max-images', type=int,
                        help='draw at most this many images')
    parser.add_argument('--scale', type=float,
                        help='drawing scale (default: automatic)')
    parser.add_argument('--classes', nargs='+', metavar='NAME',
                        help='class names, as given to tools/train.py')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of the config')
    return parser.parse_args(argv)


def build_visualizer(cfg, dataset, scale):
    from mmseginst.registry import VISUALIZERS
    from mmseginst.visualization import scaled_visualizer_cfg
    vis_cfg = scaled_visualizer_cfg(cfg.visualizer, scale)
    vis_cfg['name'] = 'browse_dataset'
    visualizer = VISUALIZERS.build(vis_cfg)
    visualizer.dataset_meta = dataset.metainfo
    return visualizer


def draw_item(visualizer, item, out_file, args) -> None:
    """Draw one pipeline output (``inputs`` CHW BGR, ``data_samples``)."""
    image = item['inputs'].permute(1, 2, 0).numpy()[..., ::-1].copy()
    sample = item['data_samples'].numpy()
    visualizer.add_datasample(
        osp.basename(sample.img_path), image, data_sample=sample,
        draw_pred=False, show=not args.not_show,
        wait_time=args.show_interval, out_file=out_file)


def main(argv=None):
    args = parse_args(argv)
    cfg = read_tool_config(args.config, args.cfg_options, args.classes)
    from mmseginst.registry import DATASETS
    loader = cfg.get(f'{args.phase}_dataloader')
    if not loader:
        raise KeyError(f'{args.config}: no {args.phase}_dataloader')
    dataset = DATASETS.build(loader.dataset)
    visualizer = build_visualizer(cfg, dataset, args.scale)
    total = len(dataset) if args.max_images is None else min(
        len(dataset), args.max_images)
    progress = ProgressBar(total)
    for index in range(total):
        item = dataset[index]
        out_file = None
        if args.output_dir is not None:
            out_file = osp.join(args.output_dir,
                                osp.basename(item['data_samples'].img_path))
        draw_item(visualizer, item, out_file, args)
        progress.update()


if __name__ == '__main__':
    main()
