#!/usr/bin/env bash
# The GPU self-check: run it on your GPU machine and paste its report into a bug report.
#   bash scripts/check_gpu.sh [--model PATH_OR_HUB_ID | --random-widths qwen2_vl_2b [--layers 4]] [--report FILE] ...
# (flags of python -m paddlemix.diagnostics.gpu_check; --help lists them). Exit status 0: every check that ran
# passed; 1: one failed; 2: a bad flag or model (one line `error: ...`).
# With 2+ GPUs it first trains 3 GRPO steps on the bundled tiny model in each of data parallel, sharding stage2
# and stage3 (python -m paddle.distributed.launch on 2 GPUs), and the report compares their final weights.
# Environment: SHARDING_GPUS (2) GPUs per launched run, 0 to skip those runs; KEEP=1 keeps the run directories
# (they are kept anyway when a check failed).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
CHECK=(python -m paddlemix.diagnostics.gpu_check)
for arg in "$@"; do
  case "$arg" in -h | --help) exec "${CHECK[@]}" "$@" ;; esac
done
# A bad flag or model stops here, in one line, before minutes of launched runs.
"${CHECK[@]}" --dry-run "$@" >/dev/null

SHARDING_GPUS=${SHARDING_GPUS:-2}
[[ "$SHARDING_GPUS" =~ ^[0-9]+$ ]] || { echo "error: SHARDING_GPUS=$SHARDING_GPUS: not a number" >&2; exit 2; }
found=$(python -c "import paddle; print(paddle.device.cuda.device_count() if paddle.is_compiled_with_cuda() else 0)")
runs_flag=()
if [ "$SHARDING_GPUS" -ge 2 ] && [ "$found" -ge "$SHARDING_GPUS" ]; then
  RUNS=$(mktemp -d "${TMPDIR:-/tmp}/paddlemix_sharding_check.XXXXXX")
  devices=$(seq -s, 0 $((SHARDING_GPUS - 1)))
  for mode in dp stage2 stage3; do
    echo "sharding check: $mode on GPUs $devices ..." >&2
    # A failed run writes no weights; the report then names its logs, so the loop goes on.
    python -m paddle.distributed.launch --devices "$devices" --log_dir "$RUNS/$mode/logs" \
      python -m paddlemix.diagnostics.sharding --out "$RUNS/$mode" --mode "$mode" >"$RUNS/$mode.log" 2>&1 ||
      echo "sharding check: the $mode run failed (logs in $RUNS/$mode/logs)" >&2
  done
  runs_flag=(--sharding-runs "$RUNS")
fi
status=0
"${CHECK[@]}" "$@" "${runs_flag[@]}" || status=$?
if [ -n "${RUNS:-}" ]; then
  if [ "$status" = 0 ] && [ "${KEEP:-0}" != 1 ]; then rm -rf "$RUNS"; else echo "sharding runs kept in $RUNS" >&2; fi
fi
exit "$status"
