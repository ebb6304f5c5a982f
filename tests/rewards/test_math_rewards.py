"""Math rewards (rewards/math_answer.py) and the seed's `accuracy` name (rewards/dispatch.py)."""

from __future__ import annotations

import pytest

from paddlemix.rewards import get_reward

MATH_CASES = [
    # --- right ---
    # counting with the clevr_cogen solution format
    ("<think>t</think><answer>3</answer>", "<answer> 3 </answer>", 1.0),
    # GeoQA: a root in three notations
    ("<think>t</think><answer>2√3</answer>", "2√{3}", 1.0),
    ("<think>t</think><answer>2\\sqrt{3}</answer>", "<answer>2√{3}</answer>", 1.0),
    # degrees
    ("<think>t</think><answer>140</answer>", "140°", 1.0),
    # the answer on its own lines
    ("<think>t</think><answer>\n140\n</answer>", "140°", 1.0),
    # --- wrong ---
    ("<think>t</think><answer>4</answer>", "<answer> 3 </answer>", 0.0),
    # the coefficient alone
    ("<think>t</think><answer>2</answer>", "2√{3}", 0.0),
    # the right number in the reasoning, a wrong one in the answer
    ("<think>maybe 3</think><answer>4</answer>", "3", 0.0),
    # hedges
    ("<think>t</think><answer>3 or 4</answer>", "3", 0.0),
    ("<think>t</think><answer>3</answer><answer>4</answer>", "3", 0.0),
    # malformed
    ("<think>t</think><answer>3", "3", 0.0),
    ("<think>t</think><answer>NaN</answer>", "3", 0.0),
    ("", "3", 0.0),
]


@pytest.mark.parametrize("completion, solution, expected", MATH_CASES)
def test_math_accuracy(completion, solution, expected):
    assert get_reward("math_accuracy")([completion], solution=[solution]) == [expected]


def test_math_accuracy_does_not_apply_to_rec_samples():
    assert get_reward("math_accuracy")(["<answer>4</answer>"], solution=[[0, 0, 10, 10]], task=["rec"]) == [
        None
    ]


def test_accuracy_follows_the_sample():
    # The seed's `accuracy`: IoU > 0.5 for REC samples, math correctness for counting and geometry.
    completions = ["<answer>[0, 0, 10, 10]</answer>", "<answer>3</answer>", "<answer>[5, 0, 15, 10]</answer>"]
    columns = {
        "solution": [[0, 0, 10, 10], "<answer> 3 </answer>", [0, 0, 10, 10]],
        "coord_frame": ["original", None, "original"],
        "task": ["rec", "counting", "rec"],
    }
    assert get_reward("accuracy")(completions, **columns) == [1.0, 1.0, 0.0]
