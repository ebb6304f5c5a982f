"""A reward that raises during GRPO training: counted per step, logged, and fatal above the allowed fraction."""

from __future__ import annotations

import logging

import pytest

from paddlemix.rewards import register_reward
from paddlemix.rewards.runner import RewardFailureError
from paddlemix.rl.grpo.config import load_train_config
from paddlemix.rl.grpo.trainer import GRPOTrainer
from tests.rl.grpo_testing import train_argv


def train_config(dataset, output_dir, **overrides):
    """The small CPU run of grpo_testing, with two rewards: test_length and test_broken."""
    return load_train_config(
        train_argv(dataset, output_dir, **overrides) + ["--reward_funcs", "test_length", "test_broken"]
    )


def _broken(completions, **_):
    raise KeyError("solution_field_the_user_misspelled")


def test_errors_are_counted_per_reward_and_the_run_goes_on_when_allowed(counting_dir, tmp_path, caplog):
    register_reward("test_broken", _broken)
    cfg = train_config(
        counting_dir,
        str(tmp_path),
        max_steps=1,
        max_reward_error_fraction=1.0,
    )
    with caplog.at_level(logging.WARNING):
        (step,) = GRPOTrainer(cfg).train()
    assert step["rewards/test_broken/errors"] == 2 * 4  # every completion of 2 prompts x 4
    assert step["rewards/test_length/errors"] == 0
    assert "reward 'test_broken' raised on sample" in caplog.text
    assert "solution_field_the_user_misspelled" in caplog.text


def test_the_default_fraction_stops_the_run(counting_dir, tmp_path):
    register_reward("test_broken", _broken)
    cfg = train_config(counting_dir, str(tmp_path), max_steps=1)
    with pytest.raises(RewardFailureError, match="failed on 8 of 8 completions"):
        GRPOTrainer(cfg).train()
