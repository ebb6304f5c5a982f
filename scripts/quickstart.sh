#!/usr/bin/env bash
# The CPU quickstart: a tiny Qwen2-VL learns with GRPO on synthetic counting, in minutes on 2 cores.
#   bash scripts/quickstart.sh [--workdir DIR] [--nproc N] [--sft_steps N] [--grpo_steps N] ...   (python -m paddlemix.quickstart --help lists them)
# Installs into the active Python environment what is missing (paddlepaddle CPU, this package with its
# quickstart extra); running it again installs nothing. Everything else is in paddlemix/quickstart.py.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
python -c "import paddle" 2>/dev/null || python -m pip install paddlepaddle
{ python -m pip show -q paddlemix-r1-mllm && python -c "import matplotlib, visualdl"; } >/dev/null 2>&1 ||
  python -m pip install -e ".[quickstart]"
exec python -m paddlemix.quickstart "$@"
