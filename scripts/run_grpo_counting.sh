#!/usr/bin/env bash
# GRPO on counting with the seed's recipe: configs/grpo_counting.yaml and the seed's defaults below, each overridable
# from the environment (run_grpo.sh lists every variable):
#   bash scripts/run_grpo_counting.sh [--flag value ...] [--dry-run]
set -euo pipefail
export GPUS=${GPUS:-8} BATCH_SIZE=${BATCH_SIZE:-16} PER_DEVICE_BATCH_SIZE=${PER_DEVICE_BATCH_SIZE:-1}
export NUM_GENERATIONS=${NUM_GENERATIONS:-8} RUN_NAME=${RUN_NAME:-Qwen2-VL-2B-GRPO-Counting_${GPUS}GPUS}
exec bash "$(dirname "${BASH_SOURCE[0]}")/run_grpo.sh" configs/grpo_counting.yaml "$@"
