"""Dynamic sampling: groups with all-equal rewards are replaced by new prompts, deterministically, and logged."""

from __future__ import annotations

import numpy as np
import pytest

from paddlemix.config import ConfigError
from paddlemix.rewards import register_reward
from paddlemix.rl.grpo.trainer import GRPOTrainer
from tests.rl.grpo_testing import train_config


def length_if_odd(completions, solution, **_):
    """Length / 10 for scenes with an odd count, 0 otherwise: the even-count groups are constant."""
    odd = [int(s.split()[1]) % 2 == 1 for s in solution]
    return [len(text) / 10.0 if o else 0.0 for text, o in zip(completions, odd)]


@pytest.fixture(autouse=True)
def odd_reward(grpo_test_rewards):
    register_reward("test_length_if_odd", length_if_odd)


def trainer(counting_dir, tmp_path, **flags):
    flags = {"reward_funcs": "test_length_if_odd", "per_device_train_batch_size": 8, **flags}
    return GRPOTrainer(train_config(counting_dir, str(tmp_path), **flags))


def odd(group) -> bool:
    return int(group.prompt.sample["solution"].split()[1]) % 2 == 1


def test_constant_groups_are_replaced_and_the_fraction_logged(counting_dir, tmp_path):
    plain = trainer(counting_dir, tmp_path / "plain").rollout(0)
    even = sum(not odd(group) for group in plain.groups) / len(plain.groups)
    assert 0 < even < 1  # the test batch holds both kinds

    batch = trainer(counting_dir, tmp_path / "dynamic", dynamic_sampling=True, max_resample=4).rollout(0)
    assert batch.metrics["dynamic_sampling/dropped_fraction"] == pytest.approx(even)
    still = sum(not odd(group) for group in batch.groups) / len(batch.groups)
    assert batch.metrics["dynamic_sampling/constant_fraction"] == pytest.approx(still)
    assert still < even
    for group in batch.groups:  # a replaced group has a spread, so a non-zero advantage
        if odd(group):
            assert np.abs(group.advantages.numpy()).max() > 0
    # The main stream is untouched: the groups that were not constant are the plain run's.
    kept = {g.slot: g.texts for g in plain.groups if odd(g)}
    assert all(g.texts == kept[g.slot] for g in batch.groups if g.slot in kept)


def test_resampling_is_deterministic(counting_dir, tmp_path):
    runs = [
        trainer(counting_dir, tmp_path / str(i), dynamic_sampling=True).rollout(0).groups for i in range(2)
    ]
    assert [g.texts for g in runs[0]] == [g.texts for g in runs[1]]


def test_max_resample_without_dynamic_sampling_is_an_error(counting_dir, tmp_path):
    with pytest.raises(ConfigError, match="max_resample has no effect"):
        train_config(counting_dir, str(tmp_path), max_resample=5)
