"""What every trainer shares (GRPO today, SFT next): config sections, optimizer, precision, data, checkpoints.

    config.py           ModelConfig, DataConfig, TrainerConfig, DistributedConfig (and resolve_task)
    optimizer.py        AdamW with warmup and linear / cosine / constant decay
    precision.py        float32 or bf16 / fp16 AMP (O1, O2), and the fp16 loss scaler
    data.py             the training set, the prompt stream (PromptSchedule, local_slots), encoding, loader
    checkpointing.py    atomic, verified checkpoints with exact resume
    output_dir.py       resume / overwrite decisions before a run, the final model after it
    metrics_logging.py  progress bar, VisualDL scalars and the log line
    logprobs.py         log-probs of completion tokens (sequence_token_logprobs, completion_logprobs)
    reference.py        a frozen copy of the starting weights (for a KL term)
    update.py           gradient sync, optimizer step, non-finite steps

Nothing here imports `paddlemix.rl`: an algorithm composes these pieces into its trainer.
"""

from paddlemix.training import checkpointing
from paddlemix.training.config import (
    DataConfig,
    DistributedConfig,
    ModelConfig,
    TrainerConfig,
    check,
    check_positive,
    resolve_task,
)
from paddlemix.training.data import (
    Prompt,
    PromptBatch,
    PromptEncoder,
    PromptLoader,
    PromptSchedule,
    load_train_dataset,
    local_slots,
    total_rollout_batches,
)
from paddlemix.training.logprobs import PolicyLogprobs, completion_logprobs, sequence_token_logprobs
from paddlemix.training.metrics_logging import MetricsLogger, metrics_logger, run_name
from paddlemix.training.optimizer import build_optimizer, lr_lambda
from paddlemix.training.output_dir import prepare_output_dir, save_final_model
from paddlemix.training.precision import Precision, resolve_precision
from paddlemix.training.reference import build_reference
from paddlemix.training.update import (
    NonFiniteGuard,
    NonFiniteLossError,
    apply_gradients,
    backward_nothing,
    grads_finite,
)

__all__ = [
    "DataConfig",
    "DistributedConfig",
    "MetricsLogger",
    "ModelConfig",
    "NonFiniteGuard",
    "NonFiniteLossError",
    "PolicyLogprobs",
    "Precision",
    "Prompt",
    "PromptBatch",
    "PromptEncoder",
    "PromptLoader",
    "PromptSchedule",
    "TrainerConfig",
    "apply_gradients",
    "backward_nothing",
    "build_optimizer",
    "build_reference",
    "check",
    "check_positive",
    "checkpointing",
    "completion_logprobs",
    "grads_finite",
    "load_train_dataset",
    "local_slots",
    "lr_lambda",
    "metrics_logger",
    "prepare_output_dir",
    "resolve_precision",
    "resolve_task",
    "run_name",
    "save_final_model",
    "sequence_token_logprobs",
    "total_rollout_batches",
]
