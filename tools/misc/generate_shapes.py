"""Write the built-in shapes dataset in COCO format.

    python tools/misc/generate_shapes.py --out data/shapes \
        [--num-train 600] [--num-val 100] [--seed 0] [--size 128 128] \
        [--layout dense --dense-count 8 20]

The same options always give byte-identical files.
"""
import argparse
import time

from mmseginst.datasets.shapes_generator import (ShapesSpec,
                                                 generate_shapes_dataset)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[1])
    p.add_argument('--out', default='data/shapes', help='output folder')
    p.add_argument('--num-train', type=int, default=600)
    p.add_argument('--num-val', type=int, default=100)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--size', type=int, nargs=2, default=[128, 128],
                   metavar=('H', 'W'), help='image height and width')
    p.add_argument('--max-instances', type=int, default=8,
                   help='instances per image are drawn from 1..N')
    p.add_argument('--min-size', type=float, default=8.0,
                   help='smallest shape extent in pixels')
    p.add_argument('--max-size-ratio', type=float, default=0.5,
                   help='largest shape extent as a fraction of the short side')
    p.add_argument('--empty-prob', type=float, default=0.08,
                   help='probability of an image with no instance')
    p.add_argument('--layout', choices=['random', 'dense'], default='random',
                   help="'dense': one class per image, instances packed "
                   'so that they touch')
    p.add_argument('--dense-count', type=int, nargs=2, default=[8, 20],
                   metavar=('MIN', 'MAX'),
                   help='instances per image with --layout dense')
    return p.parse_args()


def main():
    args = parse_args()
    spec = ShapesSpec(height=args.size[0], width=args.size[1],
                      max_instances=args.max_instances,
                      min_size=args.min_size,
                      max_size_ratio=args.max_size_ratio,
                      empty_prob=args.empty_prob,
                      layout=args.layout,
                      dense_count=tuple(args.dense_count))
    start = time.time()
    files = generate_shapes_dataset(args.out, args.num_train, args.num_val,
                                    args.seed, spec, progress=True)
    for split, path in files.items():
        print(f'{split}: {path}')
    print(f'done in {time.time() - start:.1f}s')


if __name__ == '__main__':
    main()
