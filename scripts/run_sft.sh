#!/usr/bin/env bash
# Launch SFT training on this node (full or LoRA), with the same variables and flags as run_grpo.sh:
#   bash scripts/run_sft.sh [--dry-run] CONFIG.yaml [--flag value ...]
#   GPUS=2 SHARDING= bash scripts/run_sft.sh configs/sft_tiny_cpu.yaml --lora_rank 8     (2 CPU processes)
set -euo pipefail
ENTRY=paddlemix.sft.train exec bash "$(dirname "${BASH_SOURCE[0]}")/run_grpo.sh" "$@"
