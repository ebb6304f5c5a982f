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
    # not a value but holding the right one (math-verify reads the number out of each)
    ("<think>t</think><answer>x > 3</answer>", "3", 0.0),  # an inequality
    ("<think>t</think><answer>3 \\leq x</answer>", "3", 0.0),  # an inequality in LaTeX
    ("<think>t</think><answer>x \\neq 3</answer>", "3", 0.0),  # a negated relation
    ("<think>t</think><answer>x \\approx 3</answer>", "3", 0.0),  # an approximation
    ("<think>t</think><answer>(3, 5)</answer>", "5", 0.0),  # an interval or a tuple
    ("<think>t</think><answer>\\{3\\}</answer>", "3", 0.0),  # a set
    ("<think>t</think><answer>x \\in (2, 4)</answer>", "3", 0.0),  # membership of an interval
    ("<think>t</think><answer>at least 3</answer>", "3", 0.0),  # words around the number
    ("<think>t</think><answer>3 apples</answer>", "3", 0.0),  # a count with a noun is not "3"
    ("<think>t</think><answer>y = 2x + 3</answer>", "3", 0.0),  # an equation whose last side has an unknown
    ("<think>t</think><answer>2x + 1 = 3</answer>", "3", 0.0),  # an equation that names no quantity
    ("<think>t</think><answer>4.0 + PE + PF</answer>", "4", 0.0),  # from the GeoQA log: unknowns added
    # still right: a value with a name, a label, a unit or delimiters around it
    ("<think>t</think><answer>x = 3</answer>", "3", 1.0),  # names the unknown
    ("<think>t</think><answer>\\angle A = 40°</answer>", "40°", 1.0),  # names the angle
    ("<think>t</think><answer>AB = 1.8 * 9 / 1.5 = 10.8</answer>", "10.8m", 1.0),  # a worked chain
    ("<think>t</think><answer>A. 8</answer>", "8", 1.0),  # a multiple-choice label
    ("<think>t</think><answer>$\\frac{3}{5}$</answer>", "0.6", 1.0),  # math delimiters
    ("<think>t</think><answer>12 cm</answer>", "12cm", 1.0),  # a unit
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
