#!/usr/bin/env bash
# GRPO on ovd with VLM-R1's OVD recipe: 8 GPUs, 16 prompts per update, beta 0, odLength (configs/grpo_ovd.yaml);
# each default overridable from the environment (run_grpo.sh lists every variable):
#   bash scripts/run_grpo_ovd.sh [--flag value ...] [--dry-run]
#   CONFIG=configs/grpo_ovd_tiny_cpu.yaml GPUS=1 SHARDING= bash scripts/run_grpo_ovd.sh    (CPU smoke run)
set -euo pipefail
export NUM_GENERATIONS=${NUM_GENERATIONS:-8} RUN_NAME=${RUN_NAME:-Qwen2.5-VL-3B-VLM-R1-OVD_${GPUS:-8}GPUS}
exec bash "$(dirname "${BASH_SOURCE[0]}")/run_grpo.sh" "${CONFIG:-configs/grpo_ovd.yaml}" "$@"
