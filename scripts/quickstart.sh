#!/usr/bin/env bash
# The CPU quickstart: a tiny Qwen VL learns a task from pixels (SFT cold start, then GRPO), in minutes on 2 cores.
#   bash scripts/quickstart.sh [--task counting|rec|grounding|detection|ocr|affordance] [--workdir DIR] [--seed N] ...
#   (flags of python -m paddlemix.quickstart; figures per task in docs/quickstart.md)
# Installs into the active Python environment what is missing (paddlepaddle CPU, this package with its
# quickstart extra); running it again installs nothing. Everything else is in paddlemix/quickstart.py.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
python -c "import paddle" 2>/dev/null || python -m pip install paddlepaddle
{ python -m pip show -q paddlemix-r1-mllm && python -c "import matplotlib, visualdl"; } >/dev/null 2>&1 ||
  python -m pip install -e ".[quickstart]"
exec python -m paddlemix.quickstart "$@"
