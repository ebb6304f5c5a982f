"""The loop's shared pieces: the LR schedule, the non-finite guard and the output directory's decisions."""

from __future__ import annotations

import logging
import math

import pytest

from paddlemix.training.config import TrainerConfig
from paddlemix.training.optimizer import lr_lambda
from paddlemix.training.output_dir import prepare_output_dir
from paddlemix.training.update import NonFiniteGuard, NonFiniteLossError


def test_lr_lambda_warmup_then_decay():
    # 2 warmup steps of 10: 0, 1/2, then the decay over the remaining 8 steps.
    assert [lr_lambda(s, 10, 2, "linear") for s in (0, 1, 2, 6, 10)] == [0.0, 0.5, 1.0, 0.5, 0.0]
    assert lr_lambda(6, 10, 2, "cosine") == pytest.approx(0.5 * (1 + math.cos(math.pi * 0.5)))
    assert lr_lambda(9, 10, 2, "constant") == 1.0


def test_non_finite_guard_resets_on_a_good_step_and_stops_at_the_limit(tmp_path, caplog):
    guard = NonFiniteGuard(limit=2)
    with caplog.at_level(logging.WARNING):
        guard.record(False, 1, float("nan"), str(tmp_path))
        guard.record(True, 2, 0.5, str(tmp_path))  # a good step resets the streak
        guard.record(False, 3, float("nan"), str(tmp_path))
        with pytest.raises(NonFiniteLossError, match="2 consecutive steps.*none written"):
            guard.record(False, 4, float("inf"), str(tmp_path))
    assert caplog.text.count("update skipped") == 3


def test_output_dir_refuses_to_reuse_checkpoints_unless_told(tmp_path):
    cfg = TrainerConfig(output_dir=str(tmp_path))
    assert prepare_output_dir(cfg, rank=0) is None  # fresh
    (tmp_path / "checkpoint-2").mkdir()
    (tmp_path / ".tmp-checkpoint-4").mkdir()  # an interrupted save
    with pytest.raises(FileExistsError, match="--resume_from_checkpoint auto"):
        prepare_output_dir(cfg, rank=0)
    assert not (tmp_path / ".tmp-checkpoint-4").exists()
    assert prepare_output_dir(TrainerConfig(output_dir=str(tmp_path), overwrite_output_dir=True), 0) is None
    assert not (tmp_path / "checkpoint-2").exists()
