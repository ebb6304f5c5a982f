"""A reward that applies to none of the training set's tasks is an error at start-up (rewards/coverage.py)."""

from __future__ import annotations

import pytest

from paddlemix.datasets.dataset import SampleDataset
from paddlemix.errors import UserError
from paddlemix.rewards import build_rewards
from paddlemix.rewards.coverage import check_rewards_apply, task_samples

COUNTING = {"image": "a.png", "problem": "How many?", "solution": "<answer>3</answer>", "task": "counting"}
REC = {"image": "b.png", "problem": "the cat", "solution": [1, 2, 30, 40], "task": "rec"}


def test_a_reward_of_another_task_is_an_error_naming_both_sides():
    funcs, _ = build_rewards(["accuracy", "rec_iou"])
    with pytest.raises(UserError) as info:
        check_rewards_apply(funcs, SampleDataset([COUNTING, COUNTING]))
    message = str(info.value)
    assert "reward 'rec_iou' applies to no sample of the training set" in message
    assert "it scores the tasks rec" in message and "the dataset's tasks are counting" in message


@pytest.mark.parametrize(
    "rewards, samples",
    [
        (["accuracy", "format"], [COUNTING]),  # the generic names resolve through the task
        (["rec_iou", "math_accuracy"], [COUNTING, REC]),  # a mixture: each reward applies to one task
        (["think_format"], [REC]),  # a reward that names no task applies to all
    ],
)
def test_rewards_that_apply_somewhere_pass(rewards, samples):
    funcs, _ = build_rewards(rewards)
    check_rewards_apply(funcs, SampleDataset(samples))


def test_a_user_reward_that_returns_none_everywhere_is_caught():
    def only_ocr(completions, task, **_):
        return [1.0 if t == "ocr" else None for t in task]

    with pytest.raises(UserError, match="'only_ocr' applies to no sample"):
        check_rewards_apply({"only_ocr": only_ocr}, SampleDataset([COUNTING, REC]))


def test_task_samples_takes_one_sample_per_task():
    samples = task_samples(SampleDataset([COUNTING, REC, COUNTING]))
    assert sorted(samples) == ["counting", "rec"]
