#!/usr/bin/env bash
# GRPO on detection with Vision-R1's run_qwen_vision_r1.sh: 2 nodes x 8 GPUs, 16 prompts per update (configs/grpo_detection.yaml);
# each default overridable from the environment (run_grpo.sh lists every variable):
#   bash scripts/run_grpo_detection.sh [--flag value ...] [--dry-run]
#   CONFIG=configs/grpo_detection_tiny_cpu.yaml GPUS=1 SHARDING= bash scripts/run_grpo_detection.sh    (CPU smoke run)
set -euo pipefail
export NUM_GENERATIONS=${NUM_GENERATIONS:-4} RUN_NAME=${RUN_NAME:-Qwen2.5-VL-7B-Vision-R1_${GPUS:-8}GPUS}
exec bash "$(dirname "${BASH_SOURCE[0]}")/run_grpo.sh" "${CONFIG:-configs/grpo_detection.yaml}" "$@"
