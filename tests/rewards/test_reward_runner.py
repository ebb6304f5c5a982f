"""Running rewards over a batch (rewards/runner.py): weights, None, and failing rewards that never crash."""

from __future__ import annotations

import logging
import math

import numpy as np
import pytest

from paddlemix.errors import UserError
from paddlemix.rewards import build_rewards, compute_rewards
from paddlemix.rewards.runner import RewardErrors, RewardFailureError


def constant(value):
    """A reward giving `value` to every completion."""

    def reward(completions, **_):
        return [value] * len(completions)

    return reward


def raises_on(bad: str):
    """A reward scoring 1.0, that raises on any batch containing the completion `bad`."""

    def reward(completions, **_):
        if bad in completions:
            raise RuntimeError(f"cannot score {bad!r}")
        return [1.0] * len(completions)

    return reward


def test_weighted_total():
    funcs = {"a": constant(1.0), "b": constant(0.5)}
    total, per_func, n_errors = compute_rewards(funcs, [2.0, 1.0], ["x", "y"], {})
    np.testing.assert_array_equal(total, [2.5, 2.5])  # 2*1 + 1*0.5
    np.testing.assert_array_equal(per_func["b"], [0.5, 0.5])
    assert n_errors == {"a": 0, "b": 0}


def test_none_does_not_apply():
    def rec_only(completions, task, **_):
        return [1.0 if t == "rec" else None for t in task]

    funcs = {"rec_only": rec_only, "fmt": constant(1.0)}
    total, per_func, n_errors = compute_rewards(funcs, [1.0, 1.0], ["x", "y"], {"task": ["rec", "math"]})
    np.testing.assert_array_equal(total, [2.0, 1.0])  # None adds nothing
    assert per_func["rec_only"][0] == 1.0 and math.isnan(per_func["rec_only"][1])
    assert np.nanmean(per_func["rec_only"]) == 1.0  # the mean over the samples it applies to
    assert n_errors["rec_only"] == 0


def test_a_raising_reward_zeroes_only_the_failing_completion(caplog):
    funcs = {"fragile": raises_on("bad"), "fmt": constant(1.0)}
    with caplog.at_level(logging.WARNING):
        total, per_func, n_errors = compute_rewards(funcs, [1.0, 1.0], ["ok", "bad", "ok2"], {})
    np.testing.assert_array_equal(per_func["fragile"], [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(total, [2.0, 1.0, 2.0])
    assert n_errors == {"fragile": 1, "fmt": 0}
    # the sample and the exception's own message are logged
    assert "reward 'fragile' raised on sample completion 1: RuntimeError: cannot score 'bad'" in caplog.text


def test_a_reward_that_always_raises_scores_zero_everywhere():
    def broken(completions, **_):
        raise KeyError("solution")

    total, per_func, n_errors = compute_rewards({"broken": broken}, [1.0], ["a", "b"], {})
    np.testing.assert_array_equal(total, [0.0, 0.0])
    assert n_errors == {"broken": 2}


@pytest.mark.parametrize(
    "bad",
    [
        float("nan"),  # NaN
        float("inf"),  # infinity
        "1.0",  # a string
        [1.0],  # a list
    ],
)
def test_invalid_values_are_errors(bad):
    def reward(completions, **_):
        return [bad if c == "b" else 1.0 for c in completions]

    _, per_func, n_errors = compute_rewards({"r": reward}, [1.0], ["a", "b"], {})
    np.testing.assert_array_equal(per_func["r"], [1.0, 0.0])
    assert n_errors == {"r": 1}


def test_a_wrong_number_of_values_is_retried_per_completion(caplog):
    def reward(completions, **_):
        return [1.0]  # right for one completion, wrong for a batch

    with caplog.at_level(logging.WARNING):
        _, per_func, n_errors = compute_rewards({"r": reward}, [1.0], ["a", "b"], {})
    np.testing.assert_array_equal(per_func["r"], [1.0, 1.0])
    assert n_errors == {"r": 0}  # no completion lost its reward...
    assert "returned 1 values for 2 completions" in caplog.text  # ...but the bug is reported


def test_bools_and_numpy_values_are_valid():
    _, per_func, n_errors = compute_rewards(
        {"r": lambda c, **_: [True, np.float32(0.5)]}, [1.0], ["a", "b"], {}
    )
    np.testing.assert_array_equal(per_func["r"], [1.0, 0.5])
    assert n_errors == {"r": 0}


def test_columns_reach_the_reward_one_entry_per_completion():
    seen = {}

    def spy(completions, solution, image_size, **_):
        seen.update(solution=solution, image_size=image_size)
        return [0.0] * len(completions)

    compute_rewards({"spy": spy}, [1.0], ["a", "b"], {"solution": ("4", "5"), "image_size": [(1, 2), (3, 4)]})
    assert seen == {"solution": ["4", "5"], "image_size": [(1, 2), (3, 4)]}


def test_caller_errors_raise():
    with pytest.raises(ValueError, match="column 'solution' has 1 entries for 2 completions"):
        compute_rewards({"a": constant(1.0)}, [1.0], ["x", "y"], {"solution": ["4"]})
    with pytest.raises(ValueError, match="2 weights for 1 rewards"):
        compute_rewards({"a": constant(1.0)}, [1.0, 1.0], ["x"], {})


def test_builtin_rewards_on_a_mixed_batch():
    # A REC sample and a counting sample through the seed's config names.
    funcs, weights = build_rewards(["accuracy", "format"])
    completions = [
        '<think>t</think><answer>{"bbox_2d": [10, 10, 50, 50]}</answer>',
        "<think>t</think><answer>4</answer>",
    ]
    columns = {
        "solution": [[10, 10, 50, 50], "<answer> 4 </answer>"],
        "coord_frame": ["original", None],
        "task": ["rec", "counting"],
    }
    total, per_func, n_errors = compute_rewards(funcs, weights, completions, columns)
    np.testing.assert_array_equal(total, [2.0, 2.0])
    assert n_errors == {"accuracy": 0, "format": 0}


def test_each_reward_and_exception_type_is_logged_once_with_its_sample(caplog):
    def picky(completions, source, **_):
        return [1 / 0 if c == "zero" else {}["key"] if c == "key" else 1.0 for c in completions]

    errors = RewardErrors()
    columns = {"source": ["a.json:1", "a.json:2", "a.json:3"]}
    with caplog.at_level(logging.WARNING):
        for _ in range(3):  # three steps' worth of the same failures
            compute_rewards({"picky": picky}, [1.0], ["zero", "key", "zero"], columns, errors)
    lines = [r.getMessage() for r in caplog.records if "raised on sample" in r.getMessage()]
    assert len(lines) == 2  # ZeroDivisionError once, KeyError once
    assert lines[0].startswith("reward 'picky' raised on sample a.json:1 (completion 0): ZeroDivisionError")
    assert "a.json:2 (completion 1): KeyError" in lines[1]
    assert errors.counts["picky"] == 9 and errors.failed_completions == 9 and errors.completions == 9


def test_end_step_counts_per_reward_and_resets():
    errors = RewardErrors()
    compute_rewards({"ok": constant(1.0), "bad": raises_on("b")}, [1.0, 1.0], ["a"] * 199 + ["b"], {}, errors)
    # 1 of 200 completions = 0.005, within the default 0.01
    assert errors.end_step(["ok", "bad"], 0.01, step=1) == {
        "rewards/ok/errors": 0.0,
        "rewards/bad/errors": 1.0,
    }
    assert errors.end_step(["ok", "bad"], 0.01, step=2) == {
        "rewards/ok/errors": 0.0,
        "rewards/bad/errors": 0.0,
    }


def test_too_many_failures_stop_the_run_with_the_first_traceback(caplog):
    def boom(completions, **_):
        raise ZeroDivisionError("the user's bug")

    errors = RewardErrors()
    compute_rewards({"boom": boom}, [1.0], ["a", "b"], {"image": ["x.jpg", "y.jpg"]}, errors)
    with caplog.at_level(logging.ERROR), pytest.raises(RewardFailureError) as info:
        errors.end_step(["boom"], 0.01, step=3)
    assert isinstance(info.value, UserError)  # one line at the entry point, exit 2
    message = str(info.value)
    assert "step 3: rewards failed on 2 of 2 completions (> --max_reward_error_fraction 0.01" in message
    assert "reward 'boom' on sample x.jpg (completion 0): ZeroDivisionError: the user's bug" in message
    assert "in boom" in caplog.text and 'raise ZeroDivisionError("the user' in caplog.text  # the frames


def test_the_fraction_is_over_all_ranks():
    errors = RewardErrors()
    compute_rewards({"bad": raises_on("b")}, [1.0], ["b", "a"], {}, errors)  # 1 of 2 here
    # as if 99 other completions on other ranks were fine: 1 / 101 < 0.01 is false, 2 / 200 is not above
    assert errors.end_step(["bad"], 0.01, 1, reduce=lambda v: [v[0] + 1, v[1] + 1, v[2] + 198])
