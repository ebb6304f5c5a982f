"""Run a set of rewards over a batch of completions without ever letting one of them crash training.

A reward that raises, returns the wrong number of values, or returns something that is not a finite number
(or None) on a batch is retried one completion at a time; the completions that still fail get 0 and are
counted in `n_errors`, which the trainer logs, and a warning names the reward and the batch's error.
"""

from __future__ import annotations

import logging
import math
import numbers
from collections.abc import Mapping, Sequence

import numpy as np

from paddlemix.rewards.registry import RewardFn

logger = logging.getLogger(__name__)


def _value(v) -> float:
    """A reward value as a float (NaN for None, "does not apply"); TypeError/ValueError if it is invalid."""
    if v is None:
        return math.nan
    if not isinstance(v, numbers.Real):
        raise TypeError(f"a reward value is a float or None, got {type(v).__name__} {v!r}")
    if not math.isfinite(v):
        raise ValueError(f"a reward value is finite, got {v!r}")
    return float(v)


def _run_one(
    name: str, fn: RewardFn, completions: list[str], columns: Mapping[str, list]
) -> tuple[np.ndarray, int]:
    """One reward's values over the batch (NaN where it does not apply) and how many completions errored."""
    n = len(completions)
    try:
        out = list(fn(completions, **columns))
        if len(out) != n:
            raise ValueError(f"returned {len(out)} values for {n} completions")
        return np.array([_value(v) for v in out], dtype=np.float64), 0
    except Exception as error:  # a failing reward must never stop training
        batch_error = error
    # Retry one completion at a time, so only the completions that really fail lose their reward.
    values = np.zeros(n, dtype=np.float64)
    errors = 0
    for i in range(n):
        try:
            out = list(fn([completions[i]], **{k: [v[i]] for k, v in columns.items()}))
            if len(out) != 1:
                raise ValueError(f"returned {len(out)} values for 1 completion")
            values[i] = _value(out[0])
        except Exception:
            errors += 1
    logger.warning(
        "reward %r failed on a batch of %d (%r); scored one by one, %d completions failed and got 0",
        name,
        n,
        batch_error,
        errors,
    )
    return values, errors


def compute_rewards(
    funcs: Mapping[str, RewardFn],
    weights: Sequence[float],
    completions: list[str],
    columns: Mapping[str, Sequence],
) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, int]]:
    """Weighted total reward per completion, each reward's values, and each reward's error count.

    completions: (n,) strings. columns: name -> (n,) values, the sample fields repeated per completion.
    Returns total (n,) float64, where a reward that does not apply (None) adds nothing; per_func name -> (n,)
    float64 with NaN where the reward does not apply (average them with np.nanmean); n_errors name -> int.
    """
    if len(weights) != len(funcs):
        raise ValueError(f"{len(weights)} weights for {len(funcs)} rewards {list(funcs)}")
    n = len(completions)
    columns = {k: list(v) for k, v in columns.items()}
    for key, column in columns.items():
        if len(column) != n:
            raise ValueError(f"column {key!r} has {len(column)} entries for {n} completions")
    per_func: dict[str, np.ndarray] = {}
    n_errors: dict[str, int] = {}
    total = np.zeros(n, dtype=np.float64)
    for (name, fn), weight in zip(funcs.items(), weights):
        per_func[name], n_errors[name] = _run_one(name, fn, completions, columns)
        total += np.nan_to_num(per_func[name], nan=0.0) * float(weight)
    return total, per_func, n_errors
