"""Build the "cocofied" LVIS annotations that AP* is measured against.

AP* (PointRend, RefineMask) is COCO mask AP scored against the LVIS v0.5
val annotations of the 80 COCO categories. This script keeps the LVIS
annotations, negative and not-exhaustive lists of the categories that have a
COCO counterpart (matched through their WordNet synsets, the table of
lvis-api's ``data/coco_to_synset.json``), renames them to the COCO category
ids, renumbers the annotations and keeps the categories that occur. The
result is an LVIS-format file to evaluate with the LVIS protocol
(``CocoAPStarMetric(ap_star_ann_file=...)``)::

    python tools/dataset_converters/cocofy_lvis.py \
        data/lvis_v0.5/annotations/lvis_v0.5_val.json \
        data/coco/annotations/lvis_v0.5_val_cocofied.json

LVIS v0.5 names its images ``COCO_val2014_<id>.jpg``; the prefix is dropped
(``--keep-file-names`` keeps it) so the file names are those of COCO 2017.
``--coco-ann instances_val2017.json`` keeps only the images of that COCO
file, e.g. to build a COCO-val subset of LVIS v1 val [unverified: the
published AP* numbers use v0.5].
"""
import argparse
import copy
import json
import os.path as osp
import re
from typing import Dict, Iterable, Optional

# COCO category id -> WordNet synset of the LVIS category (lvis-api,
# data/coco_to_synset.json)
COCO_TO_SYNSET: Dict[int, str] = {
    1: 'person.n.01', 2: 'bicycle.n.01', 3: 'car.n.01',
    4: 'motorcycle.n.01', 5: 'airplane.n.01', 6: 'bus.n.01',
    7: 'train.n.01', 8: 'truck.n.01', 9: 'boat.n.01',
    10: 'traffic_light.n.01', 11: 'fireplug.n.01', 13: 'stop_sign.n.01',
    14: 'parking_meter.n.01', 15: 'bench.n.01', 16: 'bird.n.01',
    17: 'cat.n.01', 18: 'dog.n.01', 19: 'horse.n.01', 20: 'sheep.n.01',
    21: 'beef.n.01', 22: 'elephant.n.01', 23: 'bear.n.01', 24: 'zebra.n.01',
    25: 'giraffe.n.01', 27: 'backpack.n.01', 28: 'umbrella.n.01',
    31: 'bag.n.04', 32: 'necktie.n.01', 33: 'bag.n.06', 34: 'frisbee.n.01',
    35: 'ski.n.01', 36: 'snowboard.n.01', 37: 'ball.n.06', 38: 'kite.n.03',
    39: 'baseball_bat.n.01', 40: 'baseball_glove.n.01',
    41: 'skateboard.n.01', 42: 'surfboard.n.01', 43: 'tennis_racket.n.01',
    44: 'bottle.n.01', 46: 'wineglass.n.01', 47: 'cup.n.01',
    48: 'fork.n.01', 49: 'knife.n.01', 50: 'spoon.n.01', 51: 'bowl.n.03',
    52: 'banana.n.02', 53: 'apple.n.01', 54: 'sandwich.n.01',
    55: 'orange.n.01', 56: 'broccoli.n.01', 57: 'carrot.n.01',
    58: 'frank.n.02', 59: 'pizza.n.01', 60: 'doughnut.n.02',
    61: 'cake.n.03', 62: 'chair.n.01', 63: 'sofa.n.01', 64: 'pot.n.04',
    65: 'bed.n.01', 67: 'dining_table.n.01', 70: 'toilet.n.02',
    72: 'television_receiver.n.01', 73: 'laptop.n.01', 74: 'mouse.n.04',
    75: 'remote_control.n.01', 76: 'computer_keyboard.n.01',
    77: 'cellular_telephone.n.01', 78: 'microwave.n.02', 79: 'oven.n.01',
    80: 'toaster.n.02', 81: 'sink.n.01', 82: 'electric_refrigerator.n.01',
    84: 'book.n.01', 85: 'clock.n.01', 86: 'vase.n.01',
    87: 'scissors.n.01', 88: 'teddy.n.01', 89: 'hand_blower.n.01',
    90: 'toothbrush.n.01'
}
IMAGE_LISTS = ('neg_category_ids', 'not_exhaustive_category_ids')


def cocofy_lvis(lvis: dict,
                image_ids: Optional[Iterable[int]] = None,
                strip_file_prefix: bool = True) -> dict:
    """The cocofied copy of a loaded LVIS annotation dict.

    Args:
        lvis (dict): LVIS annotations (images, annotations, categories with
            ``synset``).
        image_ids (Iterable[int], optional): Keep only these images.
        strip_file_prefix (bool): Turn ``COCO_val2014_<id>.jpg`` file names
            into ``<id>.jpg``. Defaults to True.

    Returns:
        dict: LVIS-format annotations with COCO category ids.
    """
    for key in ('images', 'annotations', 'categories'):
        if key not in lvis:
            raise KeyError(f'cocofy_lvis: the LVIS file has no "{key}"')
    synset_to_coco = {s: c for c, s in COCO_TO_SYNSET.items()}
    to_coco = {
        cat['id']: synset_to_coco[cat['synset']]
        for cat in lvis['categories'] if cat.get('synset') in synset_to_coco
    }
    keep = None if image_ids is None else set(image_ids)
    used = set()

    images = []
    for img in lvis['images']:
        if keep is not None and img['id'] not in keep:
            continue
        img = copy.deepcopy(img)
        for key in IMAGE_LISTS:
            img[key] = [to_coco[c] for c in img.get(key, []) if c in to_coco]
            used.update(img[key])
        if strip_file_prefix and 'file_name' in img:
            img['file_name'] = re.sub(r'^COCO_(train|val)2014_', '',
                                      img['file_name'])
        images.append(img)
    kept_images = {img['id'] for img in images}

    annotations = []
    for ann in lvis['annotations']:
        if ann['category_id'] not in to_coco or \
                ann['image_id'] not in kept_images:
            continue
        ann = copy.deepcopy(ann)
        ann['category_id'] = to_coco[ann['category_id']]
        ann['id'] = len(annotations) + 1
        used.add(ann['category_id'])
        annotations.append(ann)

    categories = []
    for cat in lvis['categories']:
        coco_id = to_coco.get(cat['id'])
        if coco_id in used:
            categories.append(dict(copy.deepcopy(cat), id=coco_id))
    categories.sort(key=lambda c: c['id'])

    out = {k: copy.deepcopy(v) for k, v in lvis.items()
           if k not in ('images', 'annotations', 'categories')}
    out.update(images=images, annotations=annotations, categories=categories)
    return out


def parse_args():
    parser = argparse.ArgumentParser(
        description='Cocofy LVIS annotations for AP* evaluation')
    parser.add_argument('lvis_file', help='LVIS annotation file (v0.5 val)')
    parser.add_argument('out_file', help='where to write the cocofied file')
    parser.add_argument(
        '--coco-ann', help='keep only the images of this COCO file')
    parser.add_argument(
        '--keep-file-names', action='store_true',
        help='keep the COCO_val2014_ prefix of the file names')
    return parser.parse_args()


def main():
    args = parse_args()
    if not osp.isfile(args.lvis_file):
        raise SystemExit(f'LVIS file {args.lvis_file!r} does not exist')
    with open(args.lvis_file) as f:
        lvis = json.load(f)
    image_ids = None
    if args.coco_ann:
        with open(args.coco_ann) as f:
            image_ids = [img['id'] for img in json.load(f)['images']]
    out = cocofy_lvis(lvis, image_ids, not args.keep_file_names)
    with open(args.out_file, 'w') as f:
        json.dump(out, f)
    print(f'{args.out_file}: {len(out["images"])} images, '
          f'{len(out["annotations"])} annotations, '
          f'{len(out["categories"])} categories')


if __name__ == '__main__':
    main()
