"""Each issue-18 option trains: a 3-step run from command-line flags moves the parameters and logs what it did."""

from __future__ import annotations

import math

import numpy as np
import pytest

from paddlemix.config import ConfigError
from paddlemix.rl.grpo.trainer import GRPOTrainer
from tests.rl.grpo_testing import train_config

MU2 = {"num_iterations": 2}
# (flags, a metric the run must log)
RUNS = [
    ({"importance_sampling_level": "sequence", **MU2, "epsilon_high": 0.28}, "clip_ratio"),
    ({"importance_sampling_level": "gspo_token", "loss_type": "dapo"}, "clip_ratio"),
    ({"loss_type": "cispo", "epsilon_high": 5.0}, "clip_ratio"),
    ({"loss_type": "sapo", "sapo_temperature_neg": 2.0, **MU2}, "loss"),
    ({"delta": 1.5, **MU2}, "clip_ratio"),
    ({"advantage_estimator": "rloo"}, "loss"),
    ({"advantage_estimator": "reinforce_plus_plus"}, "loss"),
    ({"advantage_estimator": "reinforce_plus_plus_baseline"}, "loss"),
    (
        {
            "multi_objective_aggregation": "normalize_then_sum",
            "reward_funcs": "test_length,test_digit_fraction",
        },
        "loss",
    ),
    ({"top_entropy_quantile": 0.2}, "entropy_kept_fraction"),
    ({"mask_truncated_completions": True}, "masked_truncated_fraction"),
    ({"reward_funcs": "test_length,overlong_penalty", "overlong_buffer": 3}, "rewards/overlong_penalty"),
    ({"batched_rollouts": True, "per_device_train_batch_size": 2}, "loss"),
    ({"sync_ref_model": True, "ref_model_sync_steps": 1, "ref_model_mixup_alpha": 0.5}, "ref_model_synced"),
]


@pytest.mark.parametrize(
    "flags, metric", RUNS, ids=[",".join(f"{k}={v}" for k, v in f.items()) for f, _ in RUNS]
)
def test_three_step_run_trains_with_the_option(counting_dir, tmp_path, flags, metric):
    cfg = train_config(
        counting_dir, str(tmp_path), **{"max_steps": 3, "per_device_train_batch_size": 1, **flags}
    )
    trainer = GRPOTrainer(cfg)
    before = {k: v.numpy().copy() for k, v in trainer.model.named_parameters()}
    history = trainer.train()
    assert len(history) == 3 and all(math.isfinite(h["loss"]) for h in history)
    moved = [k for k, v in trainer.model.named_parameters() if not np.array_equal(v.numpy(), before[k])]
    assert moved, "no parameter changed"
    assert any(metric in h for h in history), sorted(history[0])
    assert all("rollout/logprob_diff_max" in h for h in history[:: cfg.grpo.num_iterations])
    if cfg.grpo.sync_ref_model:
        ref = dict(trainer.ref_model.named_parameters())
        assert any(not np.array_equal(ref[k].numpy(), before[k]) for k in moved)


@pytest.mark.parametrize(
    "flags, message",
    [
        ({"loss_type": "cispo"}, "set it"),  # cispo without its cap
        ({"sapo_temperature_pos": 2.0}, "without --loss_type sapo"),
        ({"delta": 1.5}, "have no effect with num_iterations=1"),
        ({"delta": 1.1, "num_iterations": 2}, "must be > 1 \\+ epsilon_high"),
        ({"importance_sampling_level": "tokens"}, "importance_sampling_level must be one of"),
        ({"advantage_estimator": "ppo"}, "advantage_estimator must be one of"),
        ({"advantage_estimator": "rloo", "scale_rewards": "batch"}, "scale_rewards has no effect"),
        (
            {"multi_objective_aggregation": "normalize_then_sum", "advantage_estimator": "rloo"},
            "no effect with it",
        ),
        ({"top_entropy_quantile": 1.5}, "top_entropy_quantile must be in"),
        ({"overlong_buffer": 2}, "give both or neither"),
        ({"reward_funcs": "overlong_penalty", "overlong_buffer": 6}, "overlong_buffer must be in"),
        ({"sync_ref_model": True, "beta": 0.0}, "does not build"),
        ({"ref_model_sync_steps": 4}, "without --sync_ref_model"),
    ],
)
def test_config_errors(counting_dir, tmp_path, flags, message):
    with pytest.raises(ConfigError, match=message):
        train_config(counting_dir, str(tmp_path), **flags)
