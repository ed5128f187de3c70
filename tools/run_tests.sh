#!/usr/bin/env bash
# README command (b): set up .venv (first time: ~20 min, mostly the mmcv build)
# and run the test suite. Extra arguments go to pytest.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/tools/setup_env.sh"
cd "$ROOT"
export PATH="$ROOT/.venv/bin:$PATH"
exec python -m pytest -n auto tests "$@"
