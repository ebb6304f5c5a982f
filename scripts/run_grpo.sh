#!/usr/bin/env bash
# Launch GRPO training on this node (or, with MASTER/NNODES/IPS, as one node of several):
#   bash scripts/run_grpo.sh configs/grpo_counting.yaml [--flag value ...]
# Environment: GPUS (processes, default 8), SHARDING (stage2 by default; stage1 or "" on CPU),
# OUTPUT_DIR (default work_dirs/<config>_<GPUS>GPUS), MASTER=ip:port, NNODES, IPS=ip1,ip2.
# paddle.distributed.launch runs a command, so the package's entry point is started with `python -m`.
set -euo pipefail
CONFIG=${1:?usage: run_grpo.sh CONFIG.yaml [--flag value ...]}
shift
GPUS=${GPUS:-8}
SHARDING=${SHARDING-stage2}
OUTPUT_DIR=${OUTPUT_DIR:-work_dirs/$(basename "$CONFIG" .yaml)_${GPUS}GPUS}
python -m paddle.distributed.launch --nproc_per_node "$GPUS" --log_dir "$OUTPUT_DIR/paddle_distributed_logs" \
    ${MASTER:+--master "$MASTER"} ${NNODES:+--nnodes "$NNODES"} ${IPS:+--ips "$IPS"} \
    python -m paddlemix.rl.grpo.train --config "$CONFIG" --output_dir "$OUTPUT_DIR" --sharding "$SHARDING" "$@"
