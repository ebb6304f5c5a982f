#!/usr/bin/env bash
# Affordance eval, as Affordance-R1's eval_aff_r1.sh is meant to be run (its own calls a missing script):
#   bash eval/eval_aff_r1.sh MODEL_PATH DATA [more flags of eval/evaluate_affordance.py]
# SEGMENTER=sam2 (default; SAM2_PYTHON names a Python with torch + sam2) or SEGMENTER=box (no weights,
# NOT comparable to the published numbers). Results go to OUTPUT_DIR (default ./logs).
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: bash eval/eval_aff_r1.sh MODEL_PATH DATA [flags]" >&2
  exit 2
fi
MODEL_PATH=$1
DATA=$2
shift 2
SEGMENTER=${SEGMENTER:-sam2}
OUTPUT_DIR=${OUTPUT_DIR:-logs}
EXTRA=()
if [ -n "${SAM2_PYTHON:-}" ]; then EXTRA+=(--sam2_python "$SAM2_PYTHON"); fi
exec python "$(dirname "$0")/evaluate_affordance.py" --model_path "$MODEL_PATH" --test_data_path "$DATA" \
  --segmenter "$SEGMENTER" --output_dir "$OUTPUT_DIR" "${EXTRA[@]}" "$@"
