"""Shaping rewards: dense signals that a tiny random policy can climb, for smoke runs and the CPU quickstart.

- `digit_share`: the share of a completion's characters that are digits. A counting answer is a number, so
  this rewards answering in the right alphabet; it says nothing about whether the number is right (that is
  `accuracy`). It exists because `accuracy` alone is too sparse for a random 2-layer model to ever be rewarded.
"""

from __future__ import annotations

from paddlemix.rewards.registry import per_sample, register_reward


@register_reward("digit_share")
@per_sample
def digit_share(completion: str, **_) -> float:
    """Digits / characters of the stripped completion; 0.0 for an empty one."""
    text = completion.strip()
    return sum(c.isdigit() for c in text) / len(text) if text else 0.0
