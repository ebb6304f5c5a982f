#!/usr/bin/env bash
# Vision-R1's detection eval (eval/eval_localization.sh), on eval/evaluate_detection.py:
#   bash eval/eval_localization.sh MODEL_PATH MODEL_TYPE DATASET[,DATASET...]
#   bash eval/eval_localization.sh work_dirs/Qwen2.5-VL-7B-Vision-R1 qwen coco2017,pistols,pothole
# coco2017: one query per image over all 80 classes; any other name is an ODinW subset, one query per
# (image, positive class) (Vision-R1's --single --pos). Truncated JSON outputs are repaired and counted.
# Environment: DATA_ROOT (data/Detection: coco/annotations/instances_val2017.json + coco/val2017/, and
# odinw/<NAME>/valid/annotations_without_background.json beside its images), OUTPUT_DIR (logs/localization),
# GPUS (1; Vision-R1 ran 8: GPUS=N launches N data-parallel processes through paddle.distributed.launch, each
# evaluating its share of the batches, rank 0 writing the one results file; on CPU too), NNODES / TRAINER_INSTANCES
# / MASTER / RANK (several nodes, the launcher's --nnodes --ips --master --rank), DTYPE (bfloat16; float32 on
# CPU), BATCH_SIZE (1, Vision-R1's), MAX_NEW_TOKENS (512, Vision-R1's); further flags after the datasets.
# Relative paths (MODEL_PATH, DATA_ROOT, OUTPUT_DIR) are the caller's folder's, as in eval_aff_r1.sh.
set -euo pipefail
MODEL_PATH=${1:?usage: eval_localization.sh MODEL_PATH MODEL_TYPE DATASET[,DATASET...]}
MODEL_TYPE=${2:?usage: eval_localization.sh MODEL_PATH MODEL_TYPE DATASET[,DATASET...]}
DATASETS=${3:?usage: eval_localization.sh MODEL_PATH MODEL_TYPE DATASET[,DATASET...]}
shift 3
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATA_ROOT=${DATA_ROOT:-data/Detection}
OUTPUT_DIR=${OUTPUT_DIR:-logs/localization}
GPUS=${GPUS:-1}
if [ "$MODEL_TYPE" != "qwen" ]; then
  echo "eval_localization.sh: MODEL_TYPE $MODEL_TYPE is not supported here; only qwen (Qwen2-VL / Qwen2.5-VL)" >&2
  exit 2
fi
NNODES=${NNODES:-1}
for var in GPUS NNODES; do
  if ! [[ ${!var} =~ ^[1-9][0-9]*$ ]]; then
    echo "error: eval_localization.sh: $var=${!var} is not a positive whole number" >&2
    exit 2
  fi
done
launch=(python)
if [ "$GPUS" -gt 1 ] || [ "$NNODES" -gt 1 ]; then
  launch=(python -m paddle.distributed.launch --nproc_per_node "$GPUS" --log_dir "$OUTPUT_DIR/paddle_distributed_logs")
  if [ "$NNODES" -gt 1 ]; then
    launch+=(--nnodes "$NNODES" --ips "${TRAINER_INSTANCES:?NNODES>1 needs TRAINER_INSTANCES}" ${MASTER:+--master "$MASTER"} ${RANK:+--rank "$RANK"})
  fi
fi
# Vision-R1's processor budget for evaluation: min 28*28, max 12800*28*28 pixels.
common=(--model_path "$MODEL_PATH" --output_dir "$OUTPUT_DIR" --batch_size "${BATCH_SIZE:-1}"
  --max_new_tokens "${MAX_NEW_TOKENS:-512}" --min_pixels 784 --max_pixels 10035200 --dtype "${DTYPE:-bfloat16}")
IFS=',' read -r -a names <<< "$DATASETS"
for name in "${names[@]}"; do
  if [ "$name" = coco2017 ]; then
    anno=$DATA_ROOT/coco/annotations/instances_val2017.json images=$DATA_ROOT/coco/val2017 mode=all
  else
    anno=$DATA_ROOT/odinw/$name/valid/annotations_without_background.json images=$DATA_ROOT/odinw/$name/valid mode=single_pos
  fi
  echo "== $name ($mode): $anno"
  "${launch[@]}" "$ROOT/eval/evaluate_detection.py" "${common[@]}" --anno_dir "$anno" --image_dir "$images" \
    --mode "$mode" "$@"
done
