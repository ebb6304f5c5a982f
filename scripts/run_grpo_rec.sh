#!/usr/bin/env bash
# GRPO on rec with the seed's recipe: configs/grpo_rec.yaml and the seed's defaults below, each overridable
# from the environment (run_grpo.sh lists every variable):
#   bash scripts/run_grpo_rec.sh [--flag value ...] [--dry-run]
# CONFIG picks another REC recipe, e.g. CONFIG=configs/grpo_rec_qwen3vl.yaml (Qwen3-VL-2B-Instruct); its run
# name then defaults to <config>_<GPUS>GPUS.
set -euo pipefail
CONFIG=${CONFIG:-configs/grpo_rec.yaml}
export GPUS=${GPUS:-8} BATCH_SIZE=${BATCH_SIZE:-16} PER_DEVICE_BATCH_SIZE=${PER_DEVICE_BATCH_SIZE:-2}
export NUM_GENERATIONS=${NUM_GENERATIONS:-8}
if [ "$CONFIG" = configs/grpo_rec.yaml ]; then
  export RUN_NAME=${RUN_NAME:-Qwen2.5-VL-3B-GRPO-REC_${GPUS}GPUS}
fi
export IMAGE_ROOT=${IMAGE_ROOT:-data/REC}
exec bash "$(dirname "${BASH_SOURCE[0]}")/run_grpo.sh" "$CONFIG" "$@"
