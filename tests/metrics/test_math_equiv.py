"""VLM-R1's `math` scoring (`utils/math.py`): string, math-verify, then the MATH `is_equiv` normalisation."""

from __future__ import annotations

import pytest

from paddlemix.metrics.math_equiv import compute_score, is_equiv, last_boxed_only_string, strip_string


@pytest.mark.parametrize(
    "answer, gold, expected",
    [
        ("7", "7", 1.0),  # equal strings
        ("\\frac{1}{2}", "0.5", 1.0),  # math-verify
        ("x = \\dfrac{3}{4}", "\\frac34", 1.0),  # is_equiv: short "x =" prefix, dfrac, \frac34
        ("10\\%", "10", 1.0),  # is_equiv drops \%
        ("90^\\circ", "90", 1.0),  # and degrees
        ("8", "9", 0.0),
        ("\\boxed", "1", 0.0),  # remove_boxed's assertion fails: VLM-R1's except scores 0
    ],
)
def test_compute_score(answer, gold, expected):
    assert compute_score(answer, gold) == expected


def test_normalisation_pieces():
    assert strip_string("\\left( 3 \\right)") == "(3)"
    assert strip_string(".5") == "\\frac{1}{2}"  # "0.5" is rewritten as a fraction
    assert strip_string("\\sqrt3") == "\\sqrt{3}"
    assert last_boxed_only_string("a \\boxed{x{y}} b \\boxed{z}") == "\\boxed{z}"
    assert last_boxed_only_string("\\fbox{q}") == "\\fbox{q}"
    assert last_boxed_only_string("no box") is None
    # a side that is not an integer fraction raises inside strip_string; is_equiv then compares raw strings
    assert is_equiv("a/b", "a/b") and not is_equiv("a/b", "\\frac{a}{b}")
