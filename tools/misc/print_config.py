"""Print the full config after inheritance and --cfg-options, as mmdet does.

    python tools/misc/print_config.py CONFIG [--cfg-options k=v ...] [--save-path out.py]
"""
import argparse
import os.path as osp

from mmengine.config import Config, DictAction


def parse_args():
    p = argparse.ArgumentParser(description='Print the whole config')
    p.add_argument('config', help='config file path')
    p.add_argument('--save-path', default=None, help='also save it here')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='override settings, xxx=yyy format')
    return p.parse_args()


def main():
    args = parse_args()
    if not osp.isfile(args.config):
        raise SystemExit(f'config file {args.config!r} does not exist')
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    print(f'Config:\n{cfg.pretty_text}')
    if args.save_path is not None:
        cfg.dump(args.save_path)
        print(f'Config saved to {args.save_path}')


if __name__ == '__main__':
    main()
