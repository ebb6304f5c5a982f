"""Group-relative advantages: each completion's reward against the other completions of its prompt.

Rows are grouped consecutively: with group size G, rows i·G … i·G+G−1 are the G completions of prompt i.
For a group with rewards r, mean m and standard deviation s,

    A = (r − m) / (s + eps)      scale_rewards="group"  (GRPO; s within the group)
    A = (r − m) / (S + eps)      scale_rewards="batch"  (S is the std of every reward of the batch)
    A = r − m                    scale_rewards="none"   (Dr. GRPO)

The mean is always the group's. "batch" means the rewards passed in: give it the rewards of every rank
(gathered) to match trl, which normalises over the global batch. Standard deviations are unbiased (divide by count − 1), like `torch.std`
in trl and EasyR1. A group whose rewards are all equal carries no learning signal: its advantages are
exactly 0, and `zero_std_fraction` reports how many groups are like that.
"""

from __future__ import annotations

import math

import numpy as np
import paddle

SCALE_REWARDS = ("group", "batch", "none")


def _grouped(rewards, group_size: int) -> paddle.Tensor:
    """The rewards (n,) as float32, reshaped to (n // group_size, group_size), after checking the shapes."""
    if not isinstance(group_size, int) or isinstance(group_size, bool) or group_size < 1:
        raise ValueError(f"group_size is a positive int, got {group_size!r}")
    if not isinstance(rewards, paddle.Tensor):
        rewards = paddle.to_tensor(rewards)
    rewards = rewards.astype("float32")
    if rewards.ndim != 1:
        raise ValueError(f"rewards are one per completion, shape (n,); got shape {list(rewards.shape)}")
    n = rewards.shape[0]
    if n == 0 or n % group_size:
        raise ValueError(
            f"{n} rewards do not split into groups of {group_size}: "
            "the batch must hold whole groups (prompts × num_generations completions)"
        )
    return rewards.reshape([n // group_size, group_size])


def _unbiased_std(x: paddle.Tensor, axis=None, keepdim: bool = False) -> paddle.Tensor:
    """Std with Bessel's correction; 0 (not NaN) for a single value, where trl also uses 0."""
    count = math.prod(x.shape) if axis is None else x.shape[axis]
    dev = x - x.mean(axis=axis, keepdim=True)
    return paddle.sqrt((dev * dev).sum(axis=axis, keepdim=keepdim) / max(count - 1, 1))


def group_advantages(
    rewards, group_size: int, scale_rewards: str = "group", eps: float = 1e-4
) -> paddle.Tensor:
    """Advantages (n,) from rewards (n,) in consecutive groups of `group_size`; see the module docstring."""
    if scale_rewards not in SCALE_REWARDS:
        raise ValueError(f"unknown scale_rewards {scale_rewards!r}; known: {', '.join(SCALE_REWARDS)}")
    grouped = _grouped(rewards, group_size)  # (prompts, G)
    centered = grouped - grouped.mean(axis=1, keepdim=True)
    if scale_rewards == "group":
        advantages = centered / (_unbiased_std(grouped, axis=1, keepdim=True) + eps)
    elif scale_rewards == "batch":
        advantages = centered / (_unbiased_std(grouped) + eps)
    else:
        advantages = centered
    # The float32 mean of equal rewards can be off by an ulp, which dividing by eps would blow up to ~1e-4
    # of spurious signal; an all-equal group has no signal, so it gets exactly 0.
    constant = (grouped.max(axis=1, keepdim=True) == grouped.min(axis=1, keepdim=True)).expand_as(grouped)
    advantages = paddle.where(constant, paddle.zeros_like(advantages), advantages)
    return advantages.reshape([-1])


def zero_std_fraction(rewards, group_size: int) -> float:
    """The fraction of groups whose rewards are all equal (std 0), i.e. that give no gradient."""
    grouped = _grouped(rewards, group_size)
    constant = grouped.max(axis=1) == grouped.min(axis=1)
    return float(constant.astype("float32").mean())


def slot_advantages(rewards: np.ndarray, scale_rewards: str = "group", eps: float = 1e-4) -> np.ndarray:
    """Advantages (P, G) float32 of a rollout batch's rewards (P prompts × G), computed over the valid rows.

    A row of NaN (a dropped prompt) stays NaN and takes no part in the "batch" std.
    """
    valid = ~np.isnan(rewards[:, 0])
    out = np.full(rewards.shape, np.nan, dtype=np.float32)
    if valid.any():
        flat = paddle.to_tensor(rewards[valid].reshape([-1]).astype("float32"))
        out[valid] = (
            group_advantages(flat, rewards.shape[1], scale_rewards, eps)
            .numpy()
            .reshape([-1, rewards.shape[1]])
        )
    return out
