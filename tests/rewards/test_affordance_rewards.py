"""Affordance-R1 rewards (rewards/affordance.py): each term as a table of valid and invalid completions."""

from __future__ import annotations

import json

import numpy as np
import pytest

from paddlemix.metrics.word_similarity import LexicalSimilarity
from paddlemix.rewards import build_rewards, compute_rewards, get_reward
from paddlemix.rewards.affordance import recognition_reward

GT_OBJECTS = [{"bbox_2d": [100, 100, 300, 200], "point_2d": [200, 150]}]
GT = json.dumps(GT_OBJECTS)
GOOD_ITEM = {"bbox_2d": [100, 100, 300, 200], "point_2d": [200, 150], "affordance": "hold"}
NAMES = ["aff_format", "aff_accuracy", "aff_non_repeat", "aff_box_num", "aff_recognition"]


def full(items, think="The mug has a handle.", rethink="The handle is on the right.") -> str:
    """A three-stage completion answering `items` (a list, or raw text for the answer block)."""
    answer = items if isinstance(items, str) else json.dumps(items)
    return f"<think>{think}</think> <rethink>{rethink}</rethink> <answer>{answer}</answer>"


AFF_CASES = [
    # (completion, [format, accuracy, non_repeat, box_num, recognition])
    # --- valid answers ---
    # the exact answer: the seed's maximum, 10
    (full([GOOD_ITEM]), [4.0, 3.0, 1.0, 1.0, 1.0]),
    # an inflected synonym-free affordance ("holding") still matches "hold"
    (full([{**GOOD_ITEM, "affordance": "holding"}]), [4.0, 3.0, 1.0, 1.0, 1.0]),
    # two items, one right: accuracy 3 / 2, count wrong, recognition scored per item (the seed paid 0)
    (
        full([GOOD_ITEM, {"bbox_2d": [500, 500, 600, 600], "point_2d": [550, 550], "affordance": "cut"}]),
        [4.0, 1.5, 1.0, 0.0, 0.5],
    ),
    # Python-style quotes parse with ast.literal_eval
    (full(str([GOOD_ITEM])), [4.0, 3.0, 1.0, 1.0, 1.0]),
    # --- invalid answers ---
    # no rethink stage: format loses the fullmatch point only
    (f"<think>x</think> <answer>{json.dumps([GOOD_ITEM])}</answer>", [3.0, 3.0, 1.0, 1.0, 1.0]),
    # malformed JSON: only the stage structure scores
    (full('[{"bbox_2d": [100, 100, 300, 200], "point_2d": [200'), [1.0, 0.0, 1.0, 0.0, 0.0]),
    # missing keys: point_2d absent -> accuracy 0 (the seed's KeyError), format 2 of 3 fields
    (full([{"bbox_2d": [100, 100, 300, 200], "affordance": "hold"}]), [3.0, 0.0, 1.0, 1.0, 1.0]),
    # missing affordance key: recognition 0 for that item
    (full([{"bbox_2d": [100, 100, 300, 200], "point_2d": [200, 150]}]), [3.0, 3.0, 1.0, 1.0, 0.0]),
    # an empty list
    (full([]), [1.0, 0.0, 1.0, 0.0, 0.0]),
    # NaN coordinates (json.loads reads NaN): the pair fails every comparison, nothing raises
    (
        full('[{"bbox_2d": [NaN, 100, 300, 200], "point_2d": [200, NaN], "affordance": "hold"}]'),
        [4.0, 0.0, 1.0, 1.0, 1.0],
    ),
    # 1,000 copies of the right item: over MAX_ANSWER_CHARS, so no answer at all
    (full([GOOD_ITEM] * 1000), [1.0, 0.0, 1.0, 0.0, 0.0]),
    # duplicate sentences: the same sentence three times (the first "sentence" starts with "<think>")
    (full([GOOD_ITEM], think="A mug. It is a mug. It is a mug. It is a mug."), [4.0, 3.0, 0.0, 1.0, 1.0]),
    # one repeat is tolerated
    (full([GOOD_ITEM], think="A mug. It is a mug. It is a mug."), [4.0, 3.0, 1.0, 1.0, 1.0]),
    # not a list
    (full(GOOD_ITEM), [1.0, 0.0, 1.0, 0.0, 0.0]),
    # no answer at all
    ("I cannot tell.", [0.0, 0.0, 1.0, 0.0, 0.0]),
    ("", [0.0, 0.0, 1.0, 0.0, 0.0]),
]


@pytest.mark.parametrize("completion, expected", AFF_CASES)
def test_affordance_terms(completion, expected):
    columns = {"solution": [GT], "aff_name": ["hold"]}
    got = [get_reward(name)([completion], **columns)[0] for name in NAMES]
    assert got == [pytest.approx(v) for v in expected]


def test_120_items_is_the_matching_cap():
    # 120 copies: inside the character budget; one matches with 3, the rest are unmatched: 3 / 120.
    completion = full([GOOD_ITEM] * 120)
    assert get_reward("aff_accuracy")([completion], solution=[GT]) == [pytest.approx(3 / 120)]


def test_answer_in_model_input_pixels_is_mapped_to_the_840_frame():
    # Original image 420x420 (w, h), model input 210x210 (h, w): the answer is the ground truth / 4.
    completion = full([{"bbox_2d": [25, 25, 75, 50], "point_2d": [50, 37.5], "affordance": "hold"}])
    columns = {
        "solution": [GT],
        "coord_frame": ["qwen2_5_vl_abs"],
        "image_size": [(420, 420)],
        "input_size": [(210, 210)],
    }
    assert get_reward("aff_accuracy")([completion], **columns) == [pytest.approx(3.0)]
    # Read as if it were already in the 840 frame, it misses.
    assert get_reward("aff_accuracy")([completion], solution=[GT]) == [pytest.approx(0.0)]


def test_other_tasks_get_none_and_a_broken_solution_is_an_error():
    assert get_reward("aff_accuracy")([full([GOOD_ITEM])], solution=["4"], task=["counting"]) == [None]
    assert get_reward("aff_recognition")([full([GOOD_ITEM])], solution=[GT]) == [None]  # no aff_name
    with pytest.raises(ValueError, match="JSON list of objects"):
        get_reward("aff_accuracy")([full([GOOD_ITEM])], solution=["not json"])


def test_recognition_backend_is_pluggable():
    class AlwaysSimilar:
        def similarity(self, a, b):
            return 0.9

    reward = recognition_reward(AlwaysSimilar())
    assert reward([full([{**GOOD_ITEM, "affordance": "kick"}])], aff_name=["hold"]) == [1.0]
    reward = recognition_reward(LexicalSimilarity())
    assert reward([full([{**GOOD_ITEM, "affordance": "kick"}])], aff_name=["hold"]) == [0.0]


def test_sum_of_terms_is_the_seeds_reward_range():
    funcs, weights = build_rewards(NAMES)
    completions = [case[0] for case in AFF_CASES]
    n = len(completions)
    total, _, n_errors = compute_rewards(
        funcs, weights, completions, {"solution": [GT] * n, "aff_name": ["hold"] * n}
    )
    assert np.all((total >= 0) & (total <= 10)) and total[0] == pytest.approx(10.0)
    assert all(v == 0 for v in n_errors.values())
