"""The `rollout/logprob_diff` warning: fires above WARN_ABOVE in float32, stays quiet below it and in bf16."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import paddle
import pytest

from paddlemix.rl.grpo import agreement
from paddlemix.rl.grpo.trainer import GRPOTrainer

TRAINER_LOGGER = "paddlemix.rl.grpo.trainer"


def _fake_trainer(weights_dtype="float32", amp_dtype=None):
    """Just the attributes `agreement_metrics` reads: precision and the step counter."""
    return SimpleNamespace(
        precision=SimpleNamespace(weights_dtype=weights_dtype, amp_dtype=amp_dtype), global_step=4
    )


def _diffs(gap: float) -> list:
    """One group's [max, sum, count] from crafted (2, 3) log-probs whose largest gap is `gap`."""
    trained = paddle.to_tensor([[-1.0, -2.0, -0.5], [-0.25, -3.0, -1.5]], dtype="float32")
    sampled = trained.numpy().copy()
    sampled[1, 2] += gap
    sampled[0, 0] += gap / 2
    sampled[0, 2] += 10.0  # masked out: must not count
    mask = paddle.to_tensor([[1, 1, 0], [1, 1, 1]], dtype="int64")
    return [agreement.logprob_diff(paddle.to_tensor(sampled), trained, mask)]


def _warnings(caplog):
    return [r for r in caplog.records if r.name == TRAINER_LOGGER and r.levelno == logging.WARNING]


@pytest.mark.parametrize("gap", [2e-3, 5e-2])
def test_warns_above_threshold_in_float32(caplog, gap):
    caplog.set_level(logging.WARNING, logger=TRAINER_LOGGER)
    metrics = GRPOTrainer.agreement_metrics(_fake_trainer(), _diffs(gap))
    assert metrics["rollout/logprob_diff_max"] == pytest.approx(gap, rel=1e-3)
    (record,) = _warnings(caplog)
    assert "step 5" in record.getMessage() and "rollouts and training disagree" in record.getMessage()
    assert f"{gap:.2e}" in record.getMessage()


@pytest.mark.parametrize("gap", [0.0, 1e-4, 5e-4])
def test_quiet_below_threshold(caplog, gap):
    caplog.set_level(logging.WARNING, logger=TRAINER_LOGGER)
    metrics = GRPOTrainer.agreement_metrics(_fake_trainer(), _diffs(gap))
    assert metrics["rollout/logprob_diff_max"] == pytest.approx(gap, rel=1e-3, abs=1e-7)
    assert _warnings(caplog) == []


@pytest.mark.parametrize("precision", [("bfloat16", None), ("float32", "bfloat16")])
def test_quiet_in_low_precision_even_above_threshold(caplog, precision):
    caplog.set_level(logging.WARNING, logger=TRAINER_LOGGER)
    metrics = GRPOTrainer.agreement_metrics(_fake_trainer(*precision), _diffs(5e-2))
    assert metrics["rollout/logprob_diff_max"] == pytest.approx(5e-2, rel=1e-3)
    assert _warnings(caplog) == []
