"""The optimizer and its learning-rate schedule: AdamW with linear warmup, then linear, cosine or constant."""

from __future__ import annotations

import math

import paddle

from paddlemix.training.config import TrainerConfig


def lr_lambda(step: int, total: int, warmup: int, kind: str) -> float:
    """Multiplier of the peak learning rate at `step`: linear warmup, then linear/cosine decay or constant."""
    if step < warmup:
        return step / max(1, warmup)
    progress = (step - warmup) / max(1, total - warmup)
    if kind == "linear":
        return max(0.0, 1.0 - progress)
    if kind == "cosine":
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * progress)))
    return 1.0


def build_optimizer(model, trainable: list, cfg: TrainerConfig, total_steps: int, multi_precision: bool):
    """(AdamW over `trainable`, its LambdaDecay schedule); no weight decay on biases and norms.

    `multi_precision` keeps float32 master weights (half-precision weights, `Precision.multi_precision`).
    The schedule steps once per optimizer step; `warmup_steps` wins over `warmup_ratio` of `total_steps`.
    """
    warmup = cfg.warmup_steps or math.ceil(cfg.warmup_ratio * total_steps)
    scheduler = paddle.optimizer.lr.LambdaDecay(
        cfg.learning_rate, lambda s: lr_lambda(s, total_steps, warmup, cfg.lr_scheduler_type)
    )
    decay = {p.name for n, p in model.named_parameters() if not n.endswith("bias") and "norm" not in n}
    optimizer = paddle.optimizer.AdamW(
        learning_rate=scheduler,
        parameters=trainable,
        beta1=cfg.adam_beta1,
        beta2=cfg.adam_beta2,
        epsilon=cfg.adam_epsilon,
        weight_decay=cfg.weight_decay,
        apply_decay_param_fun=lambda name: name in decay,
        grad_clip=paddle.nn.ClipGradByGlobalNorm(cfg.max_grad_norm) if cfg.max_grad_norm > 0 else None,
        multi_precision=multi_precision,
    )
    return optimizer, scheduler
