#!/usr/bin/env bash
# GRPO on rec with the seed's recipe: GPUS=8 bash scripts/run_grpo_rec.sh [--flag value ...]
exec bash "$(dirname "$0")/run_grpo.sh" configs/grpo_rec.yaml "$@"
