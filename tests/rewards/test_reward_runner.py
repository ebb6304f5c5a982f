"""Running rewards over a batch (rewards/runner.py): weights, None, and failing rewards that never crash."""

from __future__ import annotations

import logging
import math

import numpy as np
import pytest

from paddlemix.rewards import build_rewards, compute_rewards


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
    assert "'fragile' failed on a batch of 3" in caplog.text
    assert "1 completions failed and got 0" in caplog.text
    assert "cannot score 'bad'" in caplog.text


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
