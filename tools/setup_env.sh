#!/usr/bin/env bash
# Creates (or refreshes) the project environment in .venv/ at the repository root.
#
# Idempotent: a second run with unchanged requirements only checks a stamp and
# returns in seconds. The mmcv wheel (compiled ops, ~15 min on 2 cores) is built
# once and cached outside the checkout, keyed by mmcv, torch and Python versions.
#
# Environment overrides:
#   MMSEGINST_CACHE   where built wheels are kept (default: ~/.cache/mmseginst)
#   TORCH_SPEC        the torch requirement (default: torch==2.13.0, the CPU
#                     wheel on this machine kind; GPU users set e.g.
#                     "torch==2.13.0 --index-url https://download.pytorch.org/whl/cu128")
#   PYTHON            interpreter used to create the venv (default: python3)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
CACHE="${MMSEGINST_CACHE:-$HOME/.cache/mmseginst}"
TORCH_SPEC="${TORCH_SPEC:-torch==2.13.0}"
MMCV_VERSION="2.1.0"
LOG_DIR="$VENV/setup-logs"

say() { printf '[setup] %s\n' "$*" >&2; }

# run_step NAME CMD...: runs CMD with output to a log; on failure names the step and log.
run_step() {
  local name="$1"; shift
  local log="$LOG_DIR/${name}.log"
  say "$name ..."
  if ! "$@" >"$log" 2>&1; then
    say "FAILED at step '$name'. Last lines of $log:"
    tail -n 25 "$log" >&2 || true
    say "Full log: $log"
    exit 1
  fi
}

stamp_key() {
  # Anything that changes what gets installed changes the stamp.
  cat "$ROOT/tools/setup_env.sh" "$ROOT"/requirements/*.txt "$ROOT/setup.py" 2>/dev/null
  echo "$TORCH_SPEC"
}

STAMP="$VENV/.mmseginst-setup-stamp"
KEY="$(stamp_key | sha256sum | cut -d' ' -f1)"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$KEY" && -x "$PY" ]]; then
  say "environment up to date ($VENV)"
  exit 0
fi

if [[ ! -x "$PY" ]]; then
  mkdir -p "$(dirname "$VENV")"
  "${PYTHON:-python3}" -m venv "$VENV" || { say "FAILED at step 'create-venv' ($VENV)"; exit 1; }
fi
mkdir -p "$LOG_DIR"
PIP=("$PY" -m pip --disable-pip-version-check)

run_step build-tools "${PIP[@]}" install -r "$ROOT/requirements/build.txt"
# shellcheck disable=SC2086
run_step torch "${PIP[@]}" install $TORCH_SPEC

PYTAG="$("$PY" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')"
TORCH_VER="$("$PY" -c 'import torch; print(torch.__version__.replace("+", "_"))')"
WHEEL_DIR="$CACHE/wheels/mmcv-${MMCV_VERSION}_torch-${TORCH_VER}_${PYTAG}"

have_mmcv_ops() {
  "$PY" - <<PYEOF >/dev/null 2>&1
import importlib.metadata as md, sys
assert md.version("mmcv") == "$MMCV_VERSION"
from mmcv.ops import nms  # compiled ops present
PYEOF
}

if ! have_mmcv_ops; then
  if ! ls "$WHEEL_DIR"/mmcv-*.whl >/dev/null 2>&1; then
    say "building mmcv $MMCV_VERSION with compiled ops (one time, 10-20 min on 2 cores)"
    mkdir -p "$WHEEL_DIR.tmp"
    MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}" FORCE_CUDA="${FORCE_CUDA:-0}" \
      run_step mmcv-build "${PIP[@]}" wheel "mmcv==$MMCV_VERSION" --no-deps \
        --no-build-isolation --no-binary mmcv -w "$WHEEL_DIR.tmp"
    rm -rf "$WHEEL_DIR" && mv "$WHEEL_DIR.tmp" "$WHEEL_DIR"   # publish atomically
  else
    say "using cached mmcv wheel in $WHEEL_DIR"
  fi
  run_step mmcv-install "${PIP[@]}" install --no-deps "$WHEEL_DIR"/mmcv-*.whl
fi

run_step runtime "${PIP[@]}" install -r "$ROOT/requirements/runtime.txt" \
  -r "$ROOT/requirements/tests.txt" -r "$ROOT/requirements/deploy.txt"
run_step package "${PIP[@]}" install --no-deps --no-build-isolation -e "$ROOT"
run_step import-check "$PY" -c "import mmseginst; mmseginst.check_versions()"

echo "$KEY" >"$STAMP"
say "environment ready: $VENV"
