"""Deterministic generator of the built-in "shapes" instance-segmentation set.

Each image shows a textured, noisy background with 0..N shapes of four
classes chosen to stress instance segmentation:

* ``ellipse``  - convex, from circles to flat ellipses;
* ``bar``      - thin and elongated rotated rectangles;
* ``triangle`` - convex with sharp corners;
* ``star``     - concave, 4 to 7 points.

Sizes are log-uniform between ``min_size`` pixels and ``max_size_ratio`` of
the shorter image side. Some instances are placed so that they exactly touch
(share a contour, no overlap) or overlap an earlier instance *of the same
class*. Shapes are painted in order; the ground-truth mask of an occluded
instance is its visible part. Instances whose visible part falls below
``min_visible_area`` pixels are removed before painting, so every visible
object is annotated.

With ``layout='dense'`` every non-empty image instead holds one class only:
``dense_count`` instances of it, each slid against the ones already placed
until it touches them (no overlap), so that objects of the same class are
packed side by side, many of them cut by the image border. This is the
crowded, touching, same-class case where point-based detectors lose
objects; the default ``layout='random'`` set is unchanged by the option.

Determinism: image ``i`` of split ``s`` is drawn from
``SeedSequence([seed, s, i])`` only, so the same seed gives byte-identical
annotation JSON and images, and a larger set starts with the smaller one.
"""
import json
import os
import os.path as osp
from dataclasses import asdict, dataclass
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np
import pycocotools.mask as mask_utils
from mmengine.utils import ProgressBar

CLASSES = ('ellipse', 'bar', 'triangle', 'star')
PALETTE = [(220, 20, 60), (0, 128, 255), (60, 180, 75), (255, 165, 0)]
SPLITS = ('train', 'val')
LAYOUTS = ('random', 'dense')
# fields added after version 1.0 of the set: written to the JSON only when
# they differ from their defaults, so that default sets stay byte-identical
LATER_FIELDS = ('layout', 'dense_count')


@dataclass
class ShapesSpec:
    """Options of the generator (all of them are stored in the JSON)."""
    height: int = 128
    width: int = 128
    max_instances: int = 8
    min_size: float = 8.0
    max_size_ratio: float = 0.5
    empty_prob: float = 0.08
    touch_prob: float = 0.2
    overlap_prob: float = 0.2
    min_visible_area: int = 12
    noise_std: float = 6.0
    layout: str = 'random'
    dense_count: Tuple[int, int] = (8, 20)

    def __post_init__(self):
        if self.height < 32 or self.width < 32:
            raise ValueError(f'image size {self.height}x{self.width} is too '
                             'small: height and width must be >= 32')
        if not 1 <= self.min_size <= self.max_size_ratio * min(
                self.height, self.width):
            raise ValueError(
                f'min_size={self.min_size} must lie in [1, max_size_ratio * '
                f'min(height, width)] = [1, '
                f'{self.max_size_ratio * min(self.height, self.width)}]')
        if self.max_instances < 0:
            raise ValueError(
                f'max_instances={self.max_instances} must be >= 0')
        if self.layout not in LAYOUTS:
            raise ValueError(f'layout={self.layout!r} must be one of '
                             f'{LAYOUTS}')
        lo, hi = self.dense_count
        if not 1 <= lo <= hi:
            raise ValueError(f'dense_count={self.dense_count} must be '
                             '(min, max) with 1 <= min <= max')
        self.dense_count = (int(lo), int(hi))

    def to_info(self) -> Dict:
        """The options as stored in the JSON ``info.generator`` (fields
        added later only when set)."""
        info = asdict(self)
        for name in LATER_FIELDS:
            if info[name] == getattr(ShapesSpec, name):
                del info[name]
        if 'dense_count' in info:
            info['dense_count'] = list(info['dense_count'])
        return info


@dataclass
class ShapeInstance:
    """One drawn instance: its class index, full mask and visible mask."""
    label: int
    full_mask: np.ndarray  # (H, W) bool
    visible_mask: Optional[np.ndarray] = None  # (H, W) bool


# --------------------------------------------------------------- rendering
def _polygon_mask(points: np.ndarray, hw: Tuple[int, int]) -> np.ndarray:
    canvas = np.zeros(hw, np.uint8)
    cv2.fillPoly(canvas, [np.round(points).astype(np.int32)], 1)
    return canvas.astype(bool)


def _shape_outline(label: int, size: float, rng: np.random.Generator
                   ) -> np.ndarray:
    """Polygon (K, 2) of a shape of class ``label`` centred at the origin,
    whose largest extent is about ``size`` pixels."""
    radius = size / 2.0
    angle = rng.uniform(0, np.pi)
    rot = np.array([[np.cos(angle), -np.sin(angle)],
                    [np.sin(angle), np.cos(angle)]])
    name = CLASSES[label]
    if name == 'ellipse':
        t = np.linspace(0, 2 * np.pi, 64, endpoint=False)
        minor = radius * rng.uniform(0.35, 1.0)
        pts = np.stack([radius * np.cos(t), minor * np.sin(t)], 1)
    elif name == 'bar':
        half_w = max(1.0, radius * rng.uniform(0.06, 0.3))
        pts = np.array([[-radius, -half_w], [radius, -half_w],
                        [radius, half_w], [-radius, half_w]])
    elif name == 'triangle':
        t = np.array([0.0, 2 * np.pi / 3, 4 * np.pi / 3])
        t = t + rng.uniform(-0.35, 0.35, size=3)
        pts = np.stack([radius * np.cos(t), radius * np.sin(t)], 1)
    elif name == 'star':
        n = int(rng.integers(4, 8))
        inner = radius * rng.uniform(0.35, 0.6)
        t = np.arange(2 * n) * np.pi / n
        r = np.where(np.arange(2 * n) % 2 == 0, radius, inner)
        pts = np.stack([r * np.cos(t), r * np.sin(t)], 1)
    else:  # pragma: no cover - CLASSES is fixed
        raise KeyError(name)
    return pts @ rot.T


def _texture(hw: Tuple[int, int], rng: np.random.Generator,
             amplitude: float) -> np.ndarray:
    """Low-frequency blotches plus oriented stripes, (H, W) float32."""
    h, w = hw
    coarse = rng.normal(0, 1, size=(int(rng.integers(3, 8)),) * 2)
    blotch = cv2.resize(coarse.astype(np.float32), (w, h),
                        interpolation=cv2.INTER_CUBIC)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    theta = rng.uniform(0, np.pi)
    period = rng.uniform(4, 24)
    stripes = np.sin(2 * np.pi * (xx * np.cos(theta) + yy * np.sin(theta))
                     / period + rng.uniform(0, 2 * np.pi))
    mix = rng.uniform(0.2, 0.8)
    return (amplitude * (mix * blotch + (1 - mix) * stripes)).astype(
        np.float32)


def _random_colour(rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(30, 225, size=3).astype(np.float32)


def _touching_offset(base: np.ndarray, outline: np.ndarray,
                     anchor: np.ndarray, direction: np.ndarray,
                     start: float,
                     hw: Tuple[int, int]) -> Optional[np.ndarray]:
    """Slide ``outline`` from ``anchor + start * direction`` towards the
    anchor and return the first mask whose 1-pixel dilation meets ``base``
    while the mask itself does not overlap it (two shapes that touch)."""
    kernel = np.ones((3, 3), np.uint8)
    prev = None
    for dist in np.arange(start, 0, -1.0):
        mask = _polygon_mask(outline + anchor + dist * direction, hw)
        if not mask.any():
            prev = None
            continue
        if (mask & base).any():
            return prev
        grown = cv2.dilate(mask.astype(np.uint8), kernel).astype(bool)
        if (grown & base).any():
            return mask
        prev = mask
    return None


def _place_dense(spec: ShapesSpec, rng: np.random.Generator
                 ) -> List[ShapeInstance]:
    """One class, ``dense_count`` instances, each touching those before it:
    slid from outside towards a placed instance until it first touches the
    union of the placed masks; up to 5 tries per instance, then skipped."""
    hw = (spec.height, spec.width)
    label = int(rng.integers(len(CLASSES)))
    count = int(rng.integers(spec.dense_count[0], spec.dense_count[1] + 1))
    max_size = spec.max_size_ratio * min(hw)
    instances: List[ShapeInstance] = []
    placed = np.zeros(hw, bool)
    for _ in range(count):
        size = float(np.exp(rng.uniform(np.log(spec.min_size),
                                         np.log(max_size))))
        outline = _shape_outline(label, size, rng)
        mask = None
        if not instances:
            centre = rng.uniform([0, 0], [hw[1], hw[0]])
            mask = _polygon_mask(outline + centre, hw)
        for _ in range(5 if instances else 0):
            anchor_inst = instances[int(rng.integers(len(instances)))]
            ys, xs = np.nonzero(anchor_inst.full_mask)
            phi = rng.uniform(0, 2 * np.pi)
            direction = np.array([np.cos(phi), np.sin(phi)])
            reach = np.hypot(xs.max() - xs.min(), ys.max() - ys.min()) / 2
            mask = _touching_offset(placed, outline,
                                    np.array([xs.mean(), ys.mean()]),
                                    direction, reach + size / 2 + 2, hw)
            if mask is not None and mask.sum() >= spec.min_visible_area:
                break
            mask = None
        if mask is not None and mask.any():
            instances.append(ShapeInstance(label, mask))
            placed |= mask
    return _drop_hidden(instances, spec.min_visible_area)


def _place_instances(spec: ShapesSpec, rng: np.random.Generator
                     ) -> List[ShapeInstance]:
    hw = (spec.height, spec.width)
    if rng.uniform() < spec.empty_prob or spec.max_instances == 0:
        return []
    if spec.layout == 'dense':
        return _place_dense(spec, rng)
    count = int(rng.integers(1, spec.max_instances + 1))
    max_size = spec.max_size_ratio * min(hw)
    instances: List[ShapeInstance] = []
    for _ in range(count):
        label = int(rng.integers(len(CLASSES)))
        size = float(np.exp(rng.uniform(np.log(spec.min_size),
                                         np.log(max_size))))
        outline = _shape_outline(label, size, rng)
        same = [inst for inst in instances if inst.label == label]
        mode = rng.uniform()
        mask = None
        if same and mode < spec.touch_prob + spec.overlap_prob:
            anchor_inst = same[int(rng.integers(len(same)))]
            ys, xs = np.nonzero(anchor_inst.full_mask)
            anchor = np.array([xs.mean(), ys.mean()])
            phi = rng.uniform(0, 2 * np.pi)
            direction = np.array([np.cos(phi), np.sin(phi)])
            reach = np.hypot(xs.max() - xs.min(), ys.max() - ys.min()) / 2
            if mode < spec.touch_prob:
                mask = _touching_offset(anchor_inst.full_mask, outline,
                                        anchor, direction,
                                        reach + size / 2 + 2, hw)
            else:
                dist = (reach + size / 2) * rng.uniform(0.3, 0.75)
                mask = _polygon_mask(outline + anchor + dist * direction, hw)
        if mask is None or not mask.any():
            centre = rng.uniform([0, 0], [hw[1], hw[0]])
            mask = _polygon_mask(outline + centre, hw)
        if mask.any():
            instances.append(ShapeInstance(label, mask))
    return _drop_hidden(instances, spec.min_visible_area)


def _visible_masks(instances: List[ShapeInstance]) -> List[np.ndarray]:
    """Painter's order: what later instances cover is not visible."""
    covered = None
    visible = [None] * len(instances)
    for k in range(len(instances) - 1, -1, -1):
        full = instances[k].full_mask
        visible[k] = full if covered is None else full & ~covered
        covered = full if covered is None else covered | full
    return visible


def _drop_hidden(instances: List[ShapeInstance],
                 min_area: int) -> List[ShapeInstance]:
    """Remove (one at a time, since removing one uncovers others) instances
    whose visible area is below ``min_area``; fill ``visible_mask``."""
    while True:
        visible = _visible_masks(instances)
        small = [k for k, v in enumerate(visible) if v.sum() < min_area]
        if not small:
            break
        del instances[small[0]]
    for inst, vis in zip(instances, visible):
        inst.visible_mask = vis
    return instances


def render_image(spec: ShapesSpec, rng: np.random.Generator
                 ) -> Tuple[np.ndarray, List[ShapeInstance]]:
    """Draw one image.

    Returns:
        tuple: ``(image, instances)`` where ``image`` is (H, W, 3) uint8 BGR
        and each instance carries its full and visible (H, W) bool masks.
    """
    hw = (spec.height, spec.width)
    instances = _place_instances(spec, rng)
    image = _random_colour(rng)[None, None, :] + _texture(
        hw, rng, rng.uniform(10, 35))[..., None]
    for inst in instances:
        colour = _random_colour(rng)
        fill = colour[None, None, :] + _texture(hw, rng,
                                                rng.uniform(0, 25))[..., None]
        image[inst.full_mask] = fill[inst.full_mask]
    image += rng.normal(0, spec.noise_std, size=image.shape)
    return np.clip(np.round(image), 0, 255).astype(np.uint8), instances


# ------------------------------------------------------------ annotations
def encode_mask(mask: np.ndarray) -> Dict:
    """Compressed COCO RLE of a (H, W) bool mask, JSON-serialisable."""
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {'size': [int(s) for s in rle['size']],
            'counts': rle['counts'].decode('ascii')}


def mask_to_bbox(mask: np.ndarray) -> List[float]:
    """COCO ``[x, y, w, h]`` of the pixels of a non-empty mask."""
    ys, xs = np.nonzero(mask)
    x0, y0 = int(xs.min()), int(ys.min())
    return [float(x0), float(y0), float(xs.max() - x0 + 1),
            float(ys.max() - y0 + 1)]


def _categories() -> List[Dict]:
    return [{'id': i + 1, 'name': name, 'supercategory': 'shape'}
            for i, name in enumerate(CLASSES)]


def image_rng(seed: int, split: str, index: int) -> np.random.Generator:
    """The generator that draws image ``index`` of ``split``."""
    return np.random.default_rng(
        np.random.SeedSequence([seed, SPLITS.index(split), index]))


def generate_split(out_dir: str, split: str, num_images: int, seed: int,
                   spec: ShapesSpec, progress: bool = False) -> Dict:
    """Write ``num_images`` PNGs to ``out_dir/split`` and return the COCO
    annotation dict of the split (not yet written); ``progress`` shows a
    progress bar."""
    img_dir = osp.join(out_dir, split)
    os.makedirs(img_dir, exist_ok=True)
    images, annotations = [], []
    bar = ProgressBar(num_images) if progress and num_images else None
    for index in range(num_images):
        image, instances = render_image(spec, image_rng(seed, split, index))
        file_name = f'{index:06d}.png'
        if not cv2.imwrite(osp.join(img_dir, file_name), image):
            raise OSError(f'could not write {osp.join(img_dir, file_name)}')
        image_id = index + 1
        images.append({'id': image_id, 'file_name': file_name,
                       'height': spec.height, 'width': spec.width})
        for inst in instances:
            annotations.append({
                'id': len(annotations) + 1,
                'image_id': image_id,
                'category_id': inst.label + 1,
                'segmentation': encode_mask(inst.visible_mask),
                'area': int(inst.visible_mask.sum()),
                'bbox': mask_to_bbox(inst.visible_mask),
                'iscrowd': 0,
            })
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.file.write('\n')
    return {
        'info': {'description': 'mmseginst built-in shapes dataset',
                 'version': '1.0', 'split': split, 'seed': seed,
                 'generator': spec.to_info()},
        'licenses': [],
        'images': images,
        'annotations': annotations,
        'categories': _categories(),
    }


def generate_shapes_dataset(out_dir: str,
                            num_train: int = 600,
                            num_val: int = 100,
                            seed: int = 0,
                            spec: Optional[ShapesSpec] = None,
                            progress: bool = False) -> Dict[str, str]:
    """Generate train and val splits in COCO format under ``out_dir``
    (with a progress bar per split if ``progress``).

    Layout: ``out_dir/{train,val}/NNNNNN.png`` and
    ``out_dir/annotations/instances_{train,val}.json``.

    Returns:
        dict: split name -> path of its annotation file.
    """
    spec = spec or ShapesSpec()
    ann_dir = osp.join(out_dir, 'annotations')
    os.makedirs(ann_dir, exist_ok=True)
    written = {}
    for split, num in (('train', num_train), ('val', num_val)):
        coco = generate_split(out_dir, split, num, seed, spec, progress)
        path = osp.join(ann_dir, f'instances_{split}.json')
        tmp = path + '.tmp'
        with open(tmp, 'w', encoding='utf-8') as f:
            json.dump(coco, f, separators=(',', ':'))
        os.replace(tmp, path)
        written[split] = path
    return written
