#!/usr/bin/env bash
# GRPO on VLM-R1's multi-image GUI recipe: 8 GPUs, ZeRO-3, G 8, all_match (configs/grpo_gui_multi_image.yaml);
# each default overridable from the environment (run_grpo.sh lists every variable):
#   bash scripts/run_grpo_gui.sh [--dry-run] [--flag value ...]
#   bash scripts/run_grpo_gui.sh --data_file_paths a.jsonl:b.jsonl --image_folders A:B --reward_method m1:m2
set -euo pipefail
export NUM_GENERATIONS=${NUM_GENERATIONS:-8} SHARDING=${SHARDING-stage3}
export RUN_NAME=${RUN_NAME:-Qwen2.5-VL-3B-VLM-R1-GUI_${GPUS:-8}GPUS}
[ "${1:-}" = "--dry-run" ] && export DRY_RUN=1 && shift
exec bash "$(dirname "${BASH_SOURCE[0]}")/run_grpo.sh" "${CONFIG:-configs/grpo_gui_multi_image.yaml}" "$@"
