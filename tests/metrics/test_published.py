"""The published scorers (metrics/published.py) behave as the originals, flaws included."""

from __future__ import annotations

import pytest

from paddlemix.metrics.published import (
    r1v_counting_correct,
    r1v_geoqa_correct,
    seed_geoqa_correct,
    seed_rec_box,
    seed_rec_correct,
)


@pytest.mark.parametrize(
    "output, ground_truth, expected",
    [
        ("<think>t</think><answer>4</answer>", 4, True),  # the int in the tags
        ("<answer>\n4\n</answer>", 4, True),  # \s* spans newlines
        ("<answer>4</answer>", "4", False),  # an int never equals a string ground truth
        ("<answer>A. 8</answer>", 8, False),  # digits only
        ("There are 4", 4, False),  # tags required
    ],
)
def test_r1v_counting(output, ground_truth, expected):
    assert r1v_counting_correct(output, ground_truth) is expected


@pytest.mark.parametrize(
    "output, ground_truth, expected",
    [
        # spaced inside the tags, math-verify reads the answer
        ("<answer> 140 </answer>", "140°", True),
        ("<answer> 40 </answer>", "140°", False),
        # flaw kept: a number flush against the tags is invisible to math-verify...
        ("<answer>140</answer>", "140°", False),
        # ...so the last number of the reasoning is scored instead, here a wrong answer accepted
        ("<think>angle B is 30 degrees</think><answer>25</answer>", "30", True),
        # flaw kept: math-verify reads "4√{3}" as 4, so "4" passes
        ("<answer> 4 </answer>", "4√{3}", True),
    ],
)
def test_r1v_geoqa(output, ground_truth, expected):
    assert r1v_geoqa_correct(output, ground_truth) is expected


def test_seed_geoqa_never_scores():
    # The seed's int regex against GeoQA's string ground truths: the bug the issue describes.
    assert not seed_geoqa_correct("<answer>140</answer>", "140°")
    assert not seed_geoqa_correct("<answer>12</answer>", "12")


@pytest.mark.parametrize(
    "output, method, expected",
    [
        ('<answer>{"bbox_2d": [1, 2.5, 3, 4]}</answer>', "r1", [1, 2.5, 3, 4]),  # floats allowed
        ("<answer>[1, 2, 3, 4] [5, 6, 7, 8]</answer>", "r1", [1, 2, 3, 4]),  # the first box
        ("[1, 2, 3, 4]", "r1", [0, 0, 0, 0]),  # r1 prompt: tags required
        ("<answer>[-1, 2, 3, 4]</answer>", "r1", [0, 0, 0, 0]),  # a negative integer does not match
        ("box: 1, 2, 3, 4", "baseline", [1, 2, 3, 4]),  # baseline prompt: any four numbers
    ],
)
def test_seed_rec_box(output, method, expected):
    assert seed_rec_box(output, method) == expected


def test_seed_rec_correct_compares_raw_boxes():
    assert seed_rec_correct("<answer>[0, 0, 10, 10]</answer>", [0, 0, 10, 10])
    assert not seed_rec_correct("<answer>[0, 0, 10, 10]</answer>", [0, 0, 20, 20])  # IoU 0.25
    with pytest.raises(ValueError, match="r1, baseline"):
        seed_rec_box("x", "cot")
