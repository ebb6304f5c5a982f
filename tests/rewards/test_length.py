"""DAPO's overlong penalty: a table of lengths (max_completion_length 10, buffer 4: the ramp starts after 6)."""

from __future__ import annotations

import pytest

from paddlemix.rewards import get_reward

CASES = [
    (1, 0.0),  # short: no penalty
    (6, 0.0),  # L_max − B exactly: still none
    (7, -0.25),  # one token into the ramp: −1/4
    (9, -0.75),
    (10, -1.0),  # L_max: the whole penalty
]


@pytest.mark.parametrize("tokens, want", CASES)
def test_overlong_penalty(tokens, want):
    fn = get_reward("overlong_penalty")
    got = fn(["text"], completion_tokens=[tokens], max_completion_length=[10], overlong_buffer=[4])
    assert got == [pytest.approx(want)]


def test_overlong_penalty_without_a_buffer_is_an_error():
    with pytest.raises(ValueError, match="needs --overlong_buffer"):
        get_reward("overlong_penalty")(
            ["x"], completion_tokens=[3], max_completion_length=[10], overlong_buffer=[None]
        )
