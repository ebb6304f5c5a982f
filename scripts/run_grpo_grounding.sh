#!/usr/bin/env bash
# GRPO on grounding with Perception-R1's grounding recipe: 7 GPUs, 14 prompts per update (configs/grpo_grounding.yaml);
# each default overridable from the environment (run_grpo.sh lists every variable):
#   bash scripts/run_grpo_grounding.sh [--flag value ...] [--dry-run]
#   CONFIG=configs/grpo_grounding_tiny_cpu.yaml GPUS=1 SHARDING= bash scripts/run_grpo_grounding.sh    (CPU smoke run)
set -euo pipefail
export GPUS=${GPUS:-7}
export NUM_GENERATIONS=${NUM_GENERATIONS:-8} RUN_NAME=${RUN_NAME:-Qwen2-VL-2B-PR1-Grounding_${GPUS:-8}GPUS}
exec bash "$(dirname "${BASH_SOURCE[0]}")/run_grpo.sh" "${CONFIG:-configs/grpo_grounding.yaml}" "$@"
