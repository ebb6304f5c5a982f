"""`digit_share`: the share of digit characters, a dense shaping signal."""

import pytest

from paddlemix.rewards import get_reward

CASES = [
    ("7", 1.0),  # a bare number: all digits
    (" 12 ", 1.0),  # surrounding whitespace does not count
    ("a1", 0.5),  # half digits
    ("<answer> 3 </answer>", 1 / 20),  # tags count as characters: this is not a format reward
    ("", 0.0),  # empty completion
    ("abc", 0.0),  # no digit
]


@pytest.mark.parametrize("completion,expected", CASES)
def test_digit_share(completion, expected):
    assert get_reward("digit_share")([completion], solution=["<answer> 3 </answer>"]) == [
        pytest.approx(expected)
    ]
