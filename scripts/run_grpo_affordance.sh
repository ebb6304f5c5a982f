#!/usr/bin/env bash
# GRPO on affordance grounding with Affordance-R1's recipe: configs/grpo_affordance.yaml and its defaults below
# (16 prompts a step, G 8), each overridable from the environment (run_grpo.sh lists every variable):
#   bash scripts/run_grpo_affordance.sh [--flag value ...] [--dry-run]
set -euo pipefail
export GPUS=${GPUS:-8} BATCH_SIZE=${BATCH_SIZE:-16} PER_DEVICE_BATCH_SIZE=${PER_DEVICE_BATCH_SIZE:-2}
export NUM_GENERATIONS=${NUM_GENERATIONS:-8} RUN_NAME=${RUN_NAME:-Qwen2.5-VL-7B-GRPO-Affordance_${GPUS}GPUS}
exec bash "$(dirname "${BASH_SOURCE[0]}")/run_grpo.sh" configs/grpo_affordance.yaml "$@"
