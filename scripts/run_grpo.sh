#!/usr/bin/env bash
# Launch GRPO training on this node (or, with TRAINER_INSTANCES/MASTER, as one node of several):
#   bash scripts/run_grpo.sh CONFIG.yaml [--flag value ...] [--dry-run]
# Runs from the repository root whatever the working directory, so the YAMLs' own relative paths (data/...,
# work_dirs/...) resolve the same way everywhere. Paths you give are the caller's: CONFIG, the OUTPUT_DIR, MODEL,
# DATASET_NAME and IMAGE_ROOT variables and the path flags (--output_dir, --model_name_or_path, --dataset_name,
# --image_root, --logging_dir, --resume_from_checkpoint) are made absolute against the caller's folder
# (inputs when they exist there). --dry-run may stand anywhere.
# Environment (the seed's variables; all optional):
#   GPUS (8) processes on this node; BATCH_SIZE and PER_DEVICE_BATCH_SIZE (prompts; when set, GRADIENT_ACC =
#   BATCH_SIZE / PER_DEVICE_BATCH_SIZE / (GPUS x nodes)); tensor_parallel_degree (1), sharding_parallel_degree
#   (GPUS / tensor_parallel_degree); SHARDING (stage2; stage1 or "" on CPU); NUM_GENERATIONS; MODEL; DATASET_NAME;
#   IMAGE_ROOT; RUN_NAME (default <config>_<GPUS>GPUS); OUTPUT_DIR (work_dirs/$RUN_NAME);
#   TRAINER_INSTANCES=ip1,ip2 (nodes; their count is NNODES), MASTER=ip:port (first node's), RANK (this node's);
#   DRY_RUN=1 (or --dry-run) prints the resolved command and config and launches nothing.
#   ENTRY (paddlemix.rl.grpo.train) the trainer module: scripts/run_sft.sh sets paddlemix.sft.train.
# A bad variable or config prints one line `error: ...` and exits 2 before anything is launched or written.
set -euo pipefail
ENTRY=${ENTRY:-paddlemix.rl.grpo.train}
die() {
  echo "error: $*" >&2
  exit 2
}
# A count variable must be a positive integer; bash arithmetic would read "abc" as an (unset) variable name.
need_count() {
  [[ "${!1}" =~ ^[1-9][0-9]*$ ]] || die "$1=${!1}: not a positive integer"
}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CALLER=$PWD
# A path the caller gave, made absolute against the caller's folder: outputs always, inputs when they exist
# there (a model may be a hub ID such as Qwen/Qwen2-VL-2B-Instruct).
callers() {
  case "$2" in
    "" | /*) echo "$2" ;;
    *) if [ "$1" = out ] || [ -e "$CALLER/$2" ]; then echo "$CALLER/$2"; else echo "$2"; fi ;;
  esac
}
DRY_RUN=${DRY_RUN:-0}
args=()
kind=""
for arg in "$@"; do
  if [ "$arg" = "--dry-run" ]; then
    DRY_RUN=1
    continue
  fi
  if [ -n "$kind" ] && [[ "$arg" != --* ]]; then
    arg=$(callers "$kind" "$arg")
  fi
  case "$arg" in
    --output_dir | --logging_dir) kind=out ;;
    --model_name_or_path | --dataset_name | --image_root | --resume_from_checkpoint) kind=in ;;
    *) kind="" ;;
  esac
  args+=("$arg")
done
set -- "${args[@]+"${args[@]}"}"
[ -n "${OUTPUT_DIR:-}" ] && OUTPUT_DIR=$(callers out "$OUTPUT_DIR")
[ -n "${MODEL:-}" ] && MODEL=$(callers in "$MODEL")
[ -n "${DATASET_NAME:-}" ] && DATASET_NAME=$(callers in "$DATASET_NAME")
[ -n "${IMAGE_ROOT:-}" ] && IMAGE_ROOT=$(callers in "$IMAGE_ROOT")
CONFIG=${1:?usage: run_grpo.sh CONFIG.yaml [--flag value ...] [--dry-run]}
shift
if [ -f "$CONFIG" ]; then
  CONFIG=$(cd "$(dirname "$CONFIG")" && pwd)/$(basename "$CONFIG")
elif [ ! -f "$ROOT/$CONFIG" ]; then
  die "$CONFIG: no such config file (usage: run_grpo.sh CONFIG.yaml [--flag value ...] [--dry-run])"
fi
cd "$ROOT"

GPUS=${GPUS:-8}
tensor_parallel_degree=${tensor_parallel_degree:-1}
need_count GPUS
need_count tensor_parallel_degree
sharding_parallel_degree=${sharding_parallel_degree:-$((GPUS / tensor_parallel_degree))}
SHARDING=${SHARDING-stage2}
TRAINER_INSTANCES=${TRAINER_INSTANCES:-127.0.0.1}
MASTER=${MASTER:-}
NNODES=${NNODES:-$(echo "$TRAINER_INSTANCES" | tr ',' '\n' | grep -c .)}
need_count NNODES
RUN_NAME=${RUN_NAME:-$(basename "$CONFIG" .yaml)_${GPUS}GPUS}
OUTPUT_DIR=${OUTPUT_DIR:-work_dirs/$RUN_NAME}

flags=(--config "$CONFIG" --output_dir "$OUTPUT_DIR" --run_name "$RUN_NAME" --sharding "$SHARDING"
  --tensor_parallel_degree "$tensor_parallel_degree")
[ -n "$SHARDING" ] && flags+=(--sharding_parallel_degree "$sharding_parallel_degree")
if [ -n "${BATCH_SIZE:-}" ] || [ -n "${PER_DEVICE_BATCH_SIZE:-}" ]; then
  BATCH_SIZE=${BATCH_SIZE:-16}
  PER_DEVICE_BATCH_SIZE=${PER_DEVICE_BATCH_SIZE:-1}
  need_count BATCH_SIZE
  need_count PER_DEVICE_BATCH_SIZE
  ranks=$((PER_DEVICE_BATCH_SIZE * GPUS * NNODES))
  [ -n "${GRADIENT_ACC:-}" ] && need_count GRADIENT_ACC
  GRADIENT_ACC=${GRADIENT_ACC:-$((BATCH_SIZE / ranks))}
  if [ "$GRADIENT_ACC" -lt 1 ] || [ $((GRADIENT_ACC * ranks)) -ne "$BATCH_SIZE" ]; then
    die "BATCH_SIZE=$BATCH_SIZE is not a multiple of PER_DEVICE_BATCH_SIZE x GPUS x nodes = $ranks"
  fi
  flags+=(--per_device_train_batch_size "$PER_DEVICE_BATCH_SIZE" --gradient_accumulation_steps "$GRADIENT_ACC")
fi
[ -n "${NUM_GENERATIONS:-}" ] && flags+=(--num_generations "$NUM_GENERATIONS")
[ -n "${MODEL:-}" ] && flags+=(--model_name_or_path "$MODEL")
[ -n "${DATASET_NAME:-}" ] && flags+=(--dataset_name "$DATASET_NAME")
[ -n "${IMAGE_ROOT:-}" ] && flags+=(--image_root "$IMAGE_ROOT")

# paddle.distributed.launch runs a command, so the package's entry point is started with `python -m`.
launch=(python -m paddle.distributed.launch --nproc_per_node "$GPUS" --log_dir "$OUTPUT_DIR/paddle_distributed_logs")
if [ "$NNODES" -gt 1 ]; then
  launch+=(--nnodes "$NNODES" --ips "$TRAINER_INSTANCES" ${MASTER:+--master "$MASTER"} ${RANK:+--rank "$RANK"})
fi
cmd=("${launch[@]}" python -m "$ENTRY" "${flags[@]}" "$@")

if [ "$DRY_RUN" = 1 ]; then
  echo "GPUS=$GPUS NNODES=$NNODES TRAINER_INSTANCES=$TRAINER_INSTANCES MASTER=$MASTER BATCH_SIZE=${BATCH_SIZE:-}" \
    "PER_DEVICE_BATCH_SIZE=${PER_DEVICE_BATCH_SIZE:-} GRADIENT_ACC=${GRADIENT_ACC:-}" \
    "tensor_parallel_degree=$tensor_parallel_degree sharding_parallel_degree=$sharding_parallel_degree" \
    "NUM_GENERATIONS=${NUM_GENERATIONS:-} RUN_NAME=$RUN_NAME OUTPUT_DIR=$OUTPUT_DIR"
  echo "command (in $ROOT):"
  echo "  ${cmd[*]}"
  exec python -m "$ENTRY" --print_config "${flags[@]}" "$@"
fi
# Check the whole config in one process first: an error is one line here, not one traceback per rank in the
# launcher's logs, and the output directory is made only for a config that will run.
python -m "$ENTRY" --print_config "${flags[@]}" "$@" >/dev/null
mkdir -p "$OUTPUT_DIR"
exec "${cmd[@]}"
