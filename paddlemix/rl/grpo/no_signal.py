"""The "no learning signal" warning: every group of a rollout had equal rewards, so every advantage was 0.

A GRPO step whose groups all have zero reward variance changes nothing (the loss is the KL term only, and
with beta 0 the update is exactly zero). That is what a random or too-weak model meets on a sparse reward
(it never earns `accuracy` or `format`), and a pipeline with a broken update path looks the same. The
trainer logs `frac_reward_zero_std` every step (trl's name); `NoSignalWatch` turns a run of
`--warn_no_signal_steps` such rollouts in a row into one warning line, once per run.
"""

from __future__ import annotations

import logging

import numpy as np

from paddlemix.rl.grpo.rollout import RewardTable

logger = logging.getLogger(__name__)


def constant_groups(table: RewardTable) -> tuple[int, int]:
    """(groups whose G rewards are all equal, groups generated) over the whole batch (every rank)."""
    rows = table.rewards[table.valid]
    return int((rows.max(axis=1) == rows.min(axis=1)).sum()), int(rows.shape[0])


def describe_rewards(table: RewardTable) -> str:
    """What the constant rewards were: `all 0 (accuracy 0, format 0)`, or the distinct group values."""
    rows = table.rewards[table.valid]
    values = np.unique(rows)
    funcs = ", ".join(
        f"{name} {float(np.nanmean(v[table.valid])):.3g}"
        for name, v in table.per_func.items()
        if not np.isnan(v[table.valid]).all()
    )
    head = f"all {float(values[0]):.3g}" if len(values) == 1 else "constant within each group"
    return f"{head} ({funcs})" if funcs else head


class NoSignalWatch:
    """Counts rollouts in a row whose groups all had equal rewards; warns once when the count reaches `steps`."""

    def __init__(self, steps: int, rank: int = 0):
        """`steps` 0 never warns; only rank 0 writes the warning (every rank sees the same gathered table)."""
        self.steps, self.rank = steps, rank
        self.streak, self.warned = 0, False

    def observe(self, table: RewardTable) -> None:
        """Record one rollout batch's rewards."""
        constant, groups = constant_groups(table)
        self.streak = self.streak + 1 if groups and constant == groups else 0
        if self.steps and self.streak >= self.steps and not self.warned:
            self.warned = True
            if self.rank == 0:
                logger.warning(
                    "no learning signal: all %d groups had equal rewards for %d steps; rewards were %s, so "
                    "every advantage is 0 and the policy learns nothing from the rewards (a random or untrained model never "
                    "earns these rewards: start from an SFT checkpoint or add a shaping reward such as "
                    "digit_share; --warn_no_signal_steps 0 silences this)",
                    groups,
                    self.streak,
                    describe_rewards(table),
                )
