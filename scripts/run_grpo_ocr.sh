#!/usr/bin/env bash
# GRPO on OCR: configs/grpo_ocr.yaml (Perception-R1's grounding recipe; its OCR training is unreleased) and the
# defaults below, each overridable from the environment (run_grpo.sh lists every variable):
#   bash scripts/run_grpo_ocr.sh [--flag value ...] [--dry-run]
set -euo pipefail
export GPUS=${GPUS:-8} BATCH_SIZE=${BATCH_SIZE:-16} PER_DEVICE_BATCH_SIZE=${PER_DEVICE_BATCH_SIZE:-1}
export NUM_GENERATIONS=${NUM_GENERATIONS:-8} RUN_NAME=${RUN_NAME:-Qwen2-VL-2B-GRPO-OCR_${GPUS}GPUS}
exec bash "$(dirname "${BASH_SOURCE[0]}")/run_grpo.sh" configs/grpo_ocr.yaml "$@"
