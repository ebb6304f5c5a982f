"""GRPO learns: on the bundled synthetic counting set, a tiny random policy's mean reward rises clearly.

The reward (tests/rl/grpo_testing.py) is the share of digit characters in the completion: dense enough that
nearly every group of a random policy has a spread, and learnable by a 2-layer model in a few dozen steps.
Each seed's run must raise the mean of its last 5 steps over its first 5 by a wide margin, for three seeds,
with the default β (a reference model and its KL term in the loop).
"""

from __future__ import annotations

import numpy as np
import pytest

from paddlemix.rl.grpo.trainer import GRPOTrainer
from tests.rl.grpo_testing import train_config


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mean_reward_rises_on_synthetic_counting(counting_dir, tmp_path, seed):
    cfg = train_config(
        counting_dir,
        str(tmp_path),
        seed=seed,
        max_steps=20,
        num_generations=8,
        max_completion_length=6,
        learning_rate=1e-2,
        reward_funcs="test_digit_fraction",
    )
    rewards = np.array([h["reward"] for h in GRPOTrainer(cfg).train()])
    first, last = rewards[:5].mean(), rewards[-5:].mean()
    print(f"seed {seed}: mean reward first 5 steps {first:.3f} -> last 5 steps {last:.3f}")
    assert last - first > 0.5
