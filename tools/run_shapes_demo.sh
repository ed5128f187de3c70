#!/usr/bin/env bash
# README command (a): set up .venv, generate the built-in shapes dataset,
# train Mask R-CNN on it, evaluate with COCO bbox/segm AP and draw the
# predictions. Usage: bash tools/run_shapes_demo.sh [CONFIG] [WORK_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONFIG="${1:-configs/mask_rcnn/mask-rcnn_r18-w32_fpn_shapes.py}"
WORK_DIR="${2:-work_dirs/shapes_demo}"
DATA_ROOT="${SHAPES_ROOT:-data/shapes}"
# A fixed number of compute threads: float sums are split across threads,
# so another count gives other numbers (docs/reproducibility.md). 2 is what
# the README's figures were measured with; override it by setting
# OMP_NUM_THREADS.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"

bash "$ROOT/tools/setup_env.sh"
cd "$ROOT"
export PATH="$ROOT/.venv/bin:$PATH"
start=$(date +%s)

echo "== 1/3 generating the shapes dataset in $DATA_ROOT"
python tools/misc/generate_shapes.py --out "$DATA_ROOT"

echo "== 2/3 training $CONFIG (log: $WORK_DIR, $OMP_NUM_THREADS threads)"
python tools/train.py "$CONFIG" --work-dir "$WORK_DIR" \
    --cfg-options "train_dataloader.dataset.data_root=$DATA_ROOT/" \
    "val_dataloader.dataset.data_root=$DATA_ROOT/" \
    "test_dataloader.dataset.data_root=$DATA_ROOT/" \
    "val_evaluator.ann_file=$DATA_ROOT/annotations/instances_val.json" \
    "test_evaluator.ann_file=$DATA_ROOT/annotations/instances_val.json"

CKPT="$(cat "$WORK_DIR/last_checkpoint")"
# pictures: ground truth | prediction, 128x128 images drawn at 512x512 by
# default_runtime's ScaledDetLocalVisualizer (add --scale S to change it)
echo "== 3/3 testing $CKPT: COCO AP and pictures"
python tools/test.py "$CONFIG" "$CKPT" --work-dir "$WORK_DIR" \
    --out "$WORK_DIR/predictions.pkl" --show-dir vis \
    --cfg-options "test_dataloader.dataset.data_root=$DATA_ROOT/" \
    "test_evaluator.ann_file=$DATA_ROOT/annotations/instances_val.json" \
    2>&1 | tee "$WORK_DIR/test.log"

VIS_DIR="$(ls -td "$WORK_DIR"/*/vis 2>/dev/null | head -n1)"
echo
echo "== summary"
grep -E "coco/(bbox|segm)_mAP:" "$WORK_DIR/test.log" | tail -n1 | \
    sed -E 's/.*(coco\/bbox_mAP: [0-9.]+).*(coco\/segm_mAP: [0-9.]+).*/\1  \2/'
echo "pictures:    $VIS_DIR ($(ls "$VIS_DIR" | wc -l) files)"
echo "predictions: $WORK_DIR/predictions.pkl"
echo "checkpoint:  $CKPT"
echo "wall time:   $(( $(date +%s) - start )) s (after set-up)"
