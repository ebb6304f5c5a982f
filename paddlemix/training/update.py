"""Applying an optimizer step after the backward passes: gradient sync, loss scaling, and non-finite steps.

A non-finite loss or gradient on any rank skips the update everywhere with a warning (the gradients are
cleared, the weights and optimizer states stay); `max_consecutive_nonfinite` such steps in a row stop the run
with `NonFiniteLossError`, leaving the last checkpoint as it was.
"""

from __future__ import annotations

import logging
import math

import paddle

from paddlemix.training import checkpointing

logger = logging.getLogger(__name__)


class NonFiniteLossError(RuntimeError):
    """Too many consecutive steps had a non-finite loss or gradient."""


def grads_finite(params) -> bool:
    """Whether this rank's accumulated gradients are all finite (a finite loss can still overflow them)."""
    squares = [paddle.square(p.grad.astype("float32")).sum() for p in params if p.grad is not None]
    return not squares or math.isfinite(float(paddle.add_n(squares)))


def backward_nothing(params) -> None:
    """A zero backward through `params`: a rank with no data still joins the step's gradient collectives."""
    (paddle.add_n([p.sum() for p in params]) * 0.0).backward()


def apply_gradients(env, optimizer, scaler, params, skip: bool) -> None:
    """Sync the gradients and step the optimizer (through the fp16 loss scaler if any), unless `skip`; then clear them."""
    if not skip:
        env.sync_gradients(params)
        if scaler:
            scaler.step(optimizer)
            scaler.update()
        else:
            optimizer.step()
    optimizer.clear_grad()


class NonFiniteGuard:
    """Counts consecutive skipped steps and stops the run after `limit` of them."""

    def __init__(self, limit: int):
        """`limit`: --max_consecutive_nonfinite."""
        self.limit, self.streak = limit, 0

    def record(self, applied: bool, step: int, loss: float, output_dir: str) -> None:
        """Note whether step `step` (1-based) was applied; warn when not, raise after `limit` in a row."""
        if applied:
            self.streak = 0
            return
        self.streak += 1
        logger.warning(
            "step %d: non-finite loss or gradient (loss %s); update skipped (%d in a row)",
            step,
            loss,
            self.streak,
        )
        if self.streak >= self.limit:
            last = checkpointing.list_checkpoints(output_dir)
            raise NonFiniteLossError(
                f"{self.streak} consecutive steps had a non-finite loss or gradient; stopping at step {step}. "
                f"The last checkpoint ({last[-1] if last else 'none written'}) is untouched."
            )
