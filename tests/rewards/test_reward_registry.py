"""The reward registry (rewards/registry.py): registration, lookup, building a config's rewards."""

from __future__ import annotations

import re

import pytest

from paddlemix.rewards import build_rewards, get_reward, per_sample, register_reward, registry, reward_names

BUILTIN = [
    "accuracy",
    "aff_accuracy",
    "aff_box_num",
    "aff_format",
    "aff_non_repeat",
    "aff_recognition",
    "aff_syntax_share",
    "box_count",
    "det_weighted_sum",
    "digit_share",
    "format",
    "iou_squared",
    "math_accuracy",
    "ocr_edit_distance",
    "ocr_f1",
    "od_ap",
    "od_ap50",
    "od_length",
    "ovd_accuracy",
    "overlong_penalty",  # issue 18
    "pr1_grounding_format",
    "rec_format",
    "rec_iou",
    "rec_iou_continuous",
    "think_format",
    "vision_r1_dual_format",
    "vision_r1_precision",
    "vision_r1_precision_adaptive",
    "vision_r1_recall",
    "vision_r1_recall_adaptive",
    "vlm_r1_accuracy",
    "vlm_r1_all_match",
    "vlm_r1_default",
    "vlm_r1_length",
    "vlm_r1_llm",
    "vlm_r1_math",
    "vlm_r1_mcq",
    "vlm_r1_repetition",
    "vlm_r1_yes_no",
]


@pytest.fixture(autouse=True)
def _scratch_registry(monkeypatch):
    # Registrations made by a test vanish with it.
    monkeypatch.setattr(registry, "_REWARDS", dict(registry._REWARDS))


def test_builtin_rewards_are_registered():
    assert reward_names() == BUILTIN


def test_register_with_a_decorator():
    @register_reward("length")
    def length(completions, **_):
        return [float(len(c)) for c in completions]

    assert get_reward("length") is length
    assert get_reward("length")(["ab", "c"]) == [2.0, 1.0]


def test_register_in_one_line():
    register_reward("zero", lambda completions, **_: [0.0] * len(completions))
    assert get_reward("zero")(["a"]) == [0.0]


def test_duplicate_name_is_rejected_listing_the_known_ones():
    listing = re.escape(", ".join(BUILTIN))
    with pytest.raises(ValueError, match=f"'format' is already registered; registered: {listing}$"):
        register_reward("format", lambda completions, **_: [])


def test_unknown_name_is_rejected_listing_the_known_ones():
    listing = re.escape(", ".join(BUILTIN))
    with pytest.raises(ValueError, match=f"unknown reward 'acuracy'; registered: {listing}$"):
        get_reward("acuracy")


def test_empty_name_is_rejected():
    with pytest.raises(ValueError, match="non-empty string"):
        register_reward("", lambda completions, **_: [])


def test_build_rewards_keeps_order_and_weights():
    funcs, weights = build_rewards(["format", "accuracy"], [0.5, 2])
    assert list(funcs) == ["format", "accuracy"]
    assert funcs["accuracy"] is get_reward("accuracy")
    assert weights == [0.5, 2.0]
    assert build_rewards(["accuracy"])[1] == [1.0]  # weights default to 1


def test_build_rewards_accepts_a_function():
    def brevity(completions, **_):
        return [1.0] * len(completions)

    funcs, _ = build_rewards(["accuracy", brevity])
    assert funcs["brevity"] is brevity


@pytest.mark.parametrize(
    "names, weights, message",
    [
        (["accuracy", "accuracy"], None, "listed twice"),  # a reward twice
        (["accuracy"], [1.0, 1.0], "2 reward_weights for 1 reward_funcs"),  # weights do not match
        ([], None, "no rewards"),  # nothing to optimise
        (["iou"], None, "unknown reward 'iou'"),  # a typo
    ],
)
def test_build_rewards_errors(names, weights, message):
    with pytest.raises(ValueError, match=message):
        build_rewards(names, weights)


def test_per_sample_maps_over_completions_and_columns():
    @per_sample
    def matches(completion, solution, **_):
        return float(completion == solution)

    assert matches(["a", "b", "c"], solution=["a", "x", "c"], extra=[1, 2, 3]) == [1.0, 0.0, 1.0]
    assert matches.__name__ == "matches"
