"""VLM-R1's cosine length reward and repetition penalty: values worked out from the formulas by hand."""

from __future__ import annotations

import math

import pytest

from paddlemix.metrics.length_repetition import cosine_length, repetition_penalty

BOX = '{"bbox_2d": [1, 2, 3, 4], "label": "cat"}'
OTHER = '{"bbox_2d": [5, 6, 7, 8], "label": "dog"}'


@pytest.mark.parametrize(
    "length, correct, seed_bug, expected",
    [
        (0, True, False, 1.0),  # correct: 1.0 at length 0
        (512, True, False, 0.75),  # half way: cos(pi/2) = 0
        (1024, True, False, 0.5),
        (0, False, False, -0.5),  # wrong: -0.5 at length 0 ...
        (1024, False, False, 0.0),  # ... rising to 0 at 1024
        (2048, True, False, 0.5),  # ours: clipped at 1024
        (2048, True, True, 1.0),  # VLM-R1: cos(2 pi) = 1, the reward rises again
        (0, False, True, 1.0),  # VLM-R1: every answer is "correct"
        (256, False, False, -0.5 + 0.5 * (1 - math.cos(math.pi / 4)) / 2),
    ],
)
def test_cosine_length(length, correct, seed_bug, expected):
    assert cosine_length(length, correct, seed_bug) == pytest.approx(expected)


@pytest.mark.parametrize(
    "content, expected",
    [
        ("", 0.0),  # empty
        ("a b c d e", 0.0),  # under 6 words
        ("a b c d e f", 0.0),  # one 6-gram, unique
        ("x " * 12, -(1 - 1 / 7)),  # 7 identical 6-grams
        ("A b C d E f a B c D e F", -(1 - 6 / 7)),  # lower-cased: abcdef twice, 7 6-grams, 6 unique
        (f"```json\n[{BOX}, {BOX}]\n```", -0.5),  # boxes as 1-grams: 2 items, 1 unique
        (f"```json\n[{BOX}, {OTHER}]\n```", 0.0),
        (
            f"<answer>```\n[{BOX}, {BOX}, {BOX}, {OTHER}]\n```</answer>",
            -0.5,
        ),  # a plain ``` block: 2 of 4 unique
        (f"here: [{BOX}, {BOX}] done", -0.5),  # a bare box list
        ('```json\n[{"x": 1}]\n```', 0.0),  # no box items: nothing to count
        # a dict, not a list: read as text, 9 words then 12 "w": 16 6-grams, the 7 all-"w" ones equal
        ('```json\n{"bbox_2d": [1, 2, 3, 4], "label": "cat"}\n```' + " w" * 12, -(1 - 10 / 16)),
        ("x " * 10_000, -(1 - 1 / 9_995)),  # 20k characters of one word
    ],
)
def test_repetition_penalty(content, expected):
    assert repetition_penalty(content) == pytest.approx(expected)


def test_repaired_json_is_read_as_boxes():
    pytest.importorskip("json_repair")
    # the closing bracket is missing: json fails, json_repair reads the two identical boxes
    assert repetition_penalty(f"```json\n[{BOX}, {BOX}\n```") == pytest.approx(-0.5)
