"""Training precision: float32, or bf16/fp16 AMP on GPU (O1: per-op casts; O2: half weights + fp32 masters).

Paddle's CPU build has no half-precision matmul, so on CPU bf16/fp16 requests run in float32 with a warning.
With O2 the model is loaded directly in half precision and the optimizer keeps float32 master weights
(`multi_precision`); `amp_master_grad` also keeps the gradients in float32. fp16 adds dynamic loss scaling.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

import paddle

from paddlemix.models.runtime import on_gpu
from paddlemix.training.config import ModelConfig

logger = logging.getLogger(__name__)


@dataclass
class Precision:
    """How to load, run and step the policy."""

    weights_dtype: str = "float32"  # dtype the model (and the reference) is loaded in
    amp_dtype: str | None = None  # autocast dtype, None for plain float32
    level: str = "O1"
    master_grad: bool = False

    @property
    def multi_precision(self) -> bool:
        """Whether the optimizer keeps float32 master weights."""
        return self.weights_dtype != "float32"

    def autocast(self):
        """The context the forward passes run in."""
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return paddle.amp.auto_cast(enable=True, level=self.level, dtype=self.amp_dtype)

    def decorate(self, model, optimizer):
        """O2: let paddle.amp set up master weights/grads on the model and optimizer."""
        if self.amp_dtype is None or self.level != "O2":
            return model, optimizer
        return paddle.amp.decorate(
            models=model, optimizers=optimizer, level="O2", dtype=self.amp_dtype, master_grad=self.master_grad
        )

    def grad_scaler(self):
        """A dynamic loss scaler for fp16, else None."""
        return paddle.amp.GradScaler(init_loss_scaling=2.0**15) if self.amp_dtype == "float16" else None


def resolve_precision(cfg: ModelConfig) -> Precision:
    """The precision a model config asks for, on this device."""
    if cfg.dtype == "float32":
        return Precision()
    if not on_gpu():
        logger.warning(
            "--%s needs a GPU (Paddle's CPU build has no half-precision matmul); training in float32",
            "bf16" if cfg.bf16 else "fp16",
        )
        return Precision()
    weights = cfg.dtype if cfg.fp16_opt_level == "O2" else "float32"
    return Precision(weights, cfg.dtype, cfg.fp16_opt_level, cfg.amp_master_grad)
