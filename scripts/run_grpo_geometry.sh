#!/usr/bin/env bash
# GRPO on geometry with the seed's recipe: GPUS=8 bash scripts/run_grpo_geometry.sh [--flag value ...]
exec bash "$(dirname "$0")/run_grpo.sh" configs/grpo_geometry.yaml "$@"
