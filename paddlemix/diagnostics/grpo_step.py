"""One GRPO step through `GRPOTrainer`, in fp32 and in bf16 O2 with float32 master gradients.

Both steps train on the same rollouts: the fp32 trainer (without TF32) generates and scores them, then each trainer runs its
own reference forward and its `update` (policy forward, GRPO loss, backward, clipping, AdamW). The gradient is
read just before the optimizer applies it and compared on a fixed sample of up to `SAMPLE` elements per
parameter tensor, which bounds host memory for 7B models.

- `grpo_step_fp32`: loss and gradient finite, gradient non-zero, the update applied, weights finite after it.
  Runs on CPU too.
- `grpo_step_bf16_o2`: the same, and the sampled gradient within `GRAD_TOLERANCE` (relative L2) of fp32's.
"""

from __future__ import annotations

import logging
import math
import os
import zlib
from dataclasses import dataclass

import numpy as np
import paddle

from paddlemix.diagnostics.device_support import release_memory, skip_reason, strict_float32
from paddlemix.diagnostics.grpo_setup import register_reward, train_flags
from paddlemix.diagnostics.report import FAIL, CheckResult, skipped, within
from paddlemix.rl.grpo.config import load_train_config
from paddlemix.rl.grpo.trainer import GRPOTrainer

logger = logging.getLogger(__name__)

SAMPLE = 4096
GRAD_TOLERANCE = 0.1  # relative L2 error of the bf16 O2 gradient against fp32's
LOSS_TOLERANCE = 1e-3  # |Δ loss|; the first step's loss is near 0, since advantages are centred
BF16_O2 = {"bf16": True, "fp16_opt_level": "O2", "amp_master_grad": True}


@dataclass
class StepRecord:
    """What one update did."""

    loss: float
    applied: bool
    grad_norm: float  # of the whole gradient, before clipping
    grads: dict[str, np.ndarray]  # parameter name -> float64 sample of its gradient
    weights_finite: bool


def sample_index(name: str, numel: int) -> paddle.Tensor:
    """Fixed positions (the same in every run) of up to SAMPLE elements of parameter `name`."""
    rng = np.random.default_rng(zlib.crc32(name.encode("utf-8")))
    return paddle.to_tensor(rng.integers(0, numel, min(numel, SAMPLE)), dtype="int64")


def read_gradients(model) -> tuple[float, dict[str, np.ndarray]]:
    """(global gradient norm, sampled gradient per trainable parameter) of `model` now."""
    squares, grads = 0.0, {}
    for name, p in model.named_parameters():
        if p.stop_gradient or p.grad is None:
            continue
        g = p.grad.astype("float32").reshape([-1])
        squares += float(paddle.square(g).sum())
        grads[name] = paddle.gather(g, sample_index(name, g.shape[0])).numpy().astype(np.float64)
    return math.sqrt(squares), grads


def run_update(trainer: GRPOTrainer, batch) -> StepRecord:
    """`trainer.update(batch)`, reading the gradient at the moment the optimizer applies it."""
    seen = {}
    apply = trainer.optimizer.step

    def step_and_record():
        seen["norm"], seen["grads"] = read_gradients(trainer.model)
        apply()

    # The trainer clears the gradients right after the step, so they are read from inside it.
    trainer.optimizer.step = step_and_record
    try:
        loss, _, applied = trainer.update(batch)
    finally:
        del trainer.optimizer.step
    finite = all(bool(paddle.isfinite(p).all()) for p in trainer.model.parameters())
    return StepRecord(loss, applied, seen.get("norm", float("nan")), seen.get("grads", {}), finite)


def step_result(name: str, record: StepRecord, figures: dict, limits: dict, note: str) -> CheckResult:
    """PASS when the figures are within limits and the step was applied with finite weights."""
    result = within(name, {"loss": record.loss, "grad_norm": record.grad_norm, **figures}, limits, note)
    problems = []
    if not record.applied:
        problems.append("update skipped (non-finite loss or gradient)")
    if not record.weights_finite:
        problems.append("non-finite weights after the step")
    if not math.isfinite(record.loss) or not record.grad_norm > 0:
        problems.append("loss not finite or gradient zero")
    if problems:
        result.status, result.detail = FAIL, "; ".join(problems) + "; " + result.detail
    return result


def close(trainer: GRPOTrainer) -> None:
    """Stop the trainer's prompt loader and metrics logger (`train()` would, and these steps bypass it)."""
    trainer.loader.close()
    trainer.metrics.close()


def refresh_reference(trainer: GRPOTrainer, batch) -> None:
    """The reference log-probs of `batch` under this trainer's own reference model and precision."""
    if trainer._reference is None:
        return
    with paddle.no_grad(), trainer.precision.autocast():
        for group, logp in zip(batch.groups, trainer._logprobs(trainer._reference, batch.groups)):
            group.ref_logprobs = logp


def grpo_step_checks(model: str, dataset: str, workdir: str) -> list[CheckResult]:
    """The fp32 step, then the bf16 O2 step on the same rollouts (GPU with bf16 only)."""
    register_reward()
    fp32 = GRPOTrainer(load_train_config(train_flags(model, dataset, os.path.join(workdir, "grpo_fp32"))))
    with strict_float32():
        batch = fp32.rollout(0)
        ref = run_update(fp32, batch)
    close(fp32)
    del fp32
    release_memory()
    note = f" ({batch.table.completions} completions, {int(batch.table.tokens)} tokens)"
    results = [step_result("grpo_step_fp32", ref, {}, {}, note)]

    why = skip_reason("bfloat16")
    if why:
        return results + [skipped("grpo_step_bf16_o2", why)]
    cfg = load_train_config(train_flags(model, dataset, os.path.join(workdir, "grpo_bf16"), **BF16_O2))
    bf16 = GRPOTrainer(cfg)
    refresh_reference(bf16, batch)
    got = run_update(bf16, batch)
    close(bf16)
    del bf16
    release_memory()
    names = sorted(set(ref.grads) & set(got.grads))
    a = np.concatenate([got.grads[n] for n in names]) if names else np.zeros(1)
    b = np.concatenate([ref.grads[n] for n in names]) if names else np.zeros(1)
    figures = {
        "grad_rel_l2": float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30)),
        "loss_abs_diff": abs(got.loss - ref.loss),
        "params_compared": len(names),
    }
    limits = {"grad_rel_l2": GRAD_TOLERANCE, "loss_abs_diff": LOSS_TOLERANCE}
    result = step_result("grpo_step_bf16_o2", got, figures, limits, " (vs the fp32 step, same rollouts)")
    if len(names) != len(ref.grads):
        result.status = FAIL
        result.detail = f"gradients of {len(ref.grads) - len(names)} parameters missing; " + result.detail
    return results + [result]
