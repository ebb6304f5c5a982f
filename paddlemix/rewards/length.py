"""Length rewards: DAPO's soft overlong penalty.

`overlong_penalty` (DAPO, verl's `overlong_buffer`): with L the completion's length in tokens (eos
included), L_max = max_completion_length and B = overlong_buffer,

    r = min(0, −(L − (L_max − B)) / B)

so completions up to L_max − B tokens are not penalised and the penalty ramps linearly to −1 at L_max. Its
reward weight is DAPO's `penalty_factor`. The trainer passes the columns `completion_tokens`,
`max_completion_length` and `overlong_buffer` (`--overlong_buffer`).
"""

from __future__ import annotations

from paddlemix.rewards.registry import per_sample, register_reward


@register_reward("overlong_penalty")
@per_sample
def overlong_penalty(
    completion: str, *, completion_tokens: int, max_completion_length: int, overlong_buffer: int | None, **_
) -> float:
    """0 up to max_completion_length − overlong_buffer tokens, then down linearly to −1 at max_completion_length."""
    if not overlong_buffer:
        raise ValueError("overlong_penalty needs --overlong_buffer (the length of the penalty's ramp)")
    exceed = int(completion_tokens) - (int(max_completion_length) - int(overlong_buffer))
    return min(0.0, -exceed / float(overlong_buffer))
