"""Draw a model's predictions on images.

    python demo/image_demo.py IMAGE_OR_FOLDER CONFIG --weights CKPT \
        [--out-dir outputs] [--pred-score-thr 0.3] [--device cpu] [--scale S]

Writes ``OUT_DIR/vis/<name>`` (pictures) and ``OUT_DIR/preds/<name>.json``.
A folder is read without its subfolders; a file in it that cannot be read
as an image is skipped with a warning that names it.
"""
import argparse
import os
import os.path as osp
import warnings
from typing import List

from mmseginst.utils import register_all_modules
from mmseginst.utils.checkpoint import trust_checkpoints

# the suffixes mmdet's DetInferencer takes from a folder
IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif',
                  '.tiff', '.webp')


def parse_args():
    p = argparse.ArgumentParser(description='mmseginst image demo')
    p.add_argument(
        'inputs',
        help='an image file or a folder of images (its subfolders are not '
        'searched; unreadable files in it are skipped with a warning)')
    p.add_argument('model', help='config file')
    p.add_argument('--weights', required=True, help='checkpoint file')
    p.add_argument('--out-dir', default='outputs', help='output folder')
    p.add_argument('--device', default='cpu', help='e.g. cpu or cuda:0')
    p.add_argument('--pred-score-thr', type=float, default=0.3,
                   help='only draw predictions above this score')
    p.add_argument('--batch-size', type=int, default=1)
    p.add_argument('--scale', type=float,
                   help='drawing scale (default: small images are enlarged '
                   'to a short side of at least 512 px)')
    p.add_argument('--show', action='store_true', help='open a window')
    p.add_argument('--no-save-pred', action='store_true',
                   help='do not write the JSON predictions')
    p.add_argument('--trust-checkpoint', action='store_true',
                   help='allow checkpoints that can execute code on load')
    return p.parse_args()


def demo_config(args):
    """The config with the checkpoint's class count and the drawing
    scale."""
    from mmengine.config import Config

    from mmseginst.utils.classes import checkpoint_classes, set_num_classes
    from mmseginst.visualization import scaled_visualizer_cfg
    cfg = Config.fromfile(args.model)
    classes = checkpoint_classes(args.weights)
    if classes:
        set_num_classes(cfg.model, len(classes))
    if args.scale is not None:
        cfg.visualizer = scaled_visualizer_cfg(cfg.visualizer, args.scale)
    return cfg


def _readable(path: str) -> bool:
    import mmcv
    try:
        return mmcv.imread(path) is not None
    except Exception:  # cv2.error for a 0-byte file, OSError ...
        return False


def list_images(folder: str) -> List[str]:
    """The image files directly in ``folder`` (by suffix, sorted) that can
    be decoded; each other one is named in a warning."""
    names = sorted(os.listdir(folder))
    subfolders = [n for n in names if osp.isdir(osp.join(folder, n))]
    if subfolders:
        shown = ', '.join(subfolders[:5]) + (', ...' if subfolders[5:] else '')
        warnings.warn(f'{folder}: {len(subfolders)} subfolder(s) not '
                      f'searched ({shown})')
    images = []
    for name in names:
        path = osp.join(folder, name)
        if not name.lower().endswith(IMG_EXTENSIONS) or not osp.isfile(path):
            continue
        if _readable(path):
            images.append(path)
        else:
            size = osp.getsize(path)
            warnings.warn(f'skipping {path}: not a readable image'
                          + (' (0 bytes)' if size == 0 else ''))
    if not images:
        raise ValueError(f'{folder}: no readable image directly in this '
                         f'folder (suffixes {", ".join(IMG_EXTENSIONS)})')
    return images


def main():
    args = parse_args()
    for path, what in ((args.inputs, 'input'), (args.model, 'config'),
                       (args.weights, 'checkpoint')):
        if not osp.exists(path):
            raise FileNotFoundError(f'{what} {path!r} does not exist')
    if args.trust_checkpoint:
        trust_checkpoints(True)
    inputs = list_images(args.inputs) if osp.isdir(args.inputs) \
        else args.inputs
    if isinstance(inputs, str) and not _readable(inputs):
        raise ValueError(f'input {inputs!r} is not a readable image')
    register_all_modules()
    from mmdet.apis import DetInferencer
    inferencer = DetInferencer(
        model=demo_config(args), weights=args.weights, device=args.device,
        scope='mmseginst', show_progress=False)
    inferencer(
        inputs,
        batch_size=args.batch_size,
        pred_score_thr=args.pred_score_thr,
        show=args.show,
        out_dir=args.out_dir,
        no_save_pred=args.no_save_pred)
    print(f'results written to {args.out_dir}/vis'
          + ('' if args.no_save_pred else f' and {args.out_dir}/preds'))


if __name__ == '__main__':
    main()
