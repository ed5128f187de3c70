"""Draw a model's predictions on images.

    python demo/image_demo.py IMAGE_OR_FOLDER CONFIG --weights CKPT \
        [--out-dir outputs] [--pred-score-thr 0.3] [--device cpu] [--scale S]

Writes ``OUT_DIR/vis/<name>`` (pictures) and ``OUT_DIR/preds/<name>.json``.
"""
import argparse
import os.path as osp

from mmseginst.utils import register_all_modules
from mmseginst.utils.checkpoint import trust_checkpoints


def parse_args():
    p = argparse.ArgumentParser(description='mmseginst image demo')
    p.add_argument('inputs', help='an image file or a folder of images')
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


def main():
    args = parse_args()
    for path, what in ((args.inputs, 'input'), (args.model, 'config'),
                       (args.weights, 'checkpoint')):
        if not osp.exists(path):
            raise FileNotFoundError(f'{what} {path!r} does not exist')
    if args.trust_checkpoint:
        trust_checkpoints(True)
    register_all_modules()
    from mmdet.apis import DetInferencer
    inferencer = DetInferencer(
        model=demo_config(args), weights=args.weights, device=args.device,
        scope='mmseginst', show_progress=False)
    inferencer(
        args.inputs,
        batch_size=args.batch_size,
        pred_score_thr=args.pred_score_thr,
        show=args.show,
        out_dir=args.out_dir,
        no_save_pred=args.no_save_pred)
    print(f'results written to {args.out_dir}/vis'
          + ('' if args.no_save_pred else f' and {args.out_dir}/preds'))


if __name__ == '__main__':
    main()
