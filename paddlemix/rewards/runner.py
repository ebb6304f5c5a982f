"""Run a set of rewards over a batch of completions; a reward that fails is scored 0, reported and counted.

A reward that raises, returns the wrong number of values, or returns something that is not a finite number
(or None) on a batch is retried one completion at a time; the completions that still fail get 0. Nothing is
dropped silently: each failure goes to a `RewardErrors` (the trainer holds one per run), which logs the
sample and the exception once per (reward, exception type), counts them per step for VisualDL
(`rewards/<name>/errors`), and keeps the step's first traceback, which `RewardErrors.end_step` shows when
more than `--max_reward_error_fraction` of the step's completions failed, stopping the run.
"""

from __future__ import annotations

import logging
import math
import numbers
import traceback
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from paddlemix.errors import UserError
from paddlemix.rewards.registry import RewardFn

logger = logging.getLogger(__name__)

SAMPLE_ID_FIELDS = ("id", "image", "source")  # the first one a sample has names it in messages


class RewardFailureError(UserError):
    """Too many of a step's completions made a reward fail: the run stops rather than train on zeros."""


@dataclass(frozen=True)
class RewardFailure:
    """One completion a reward failed on: which reward, which sample, the exception and its traceback."""

    reward: str
    sample: str
    error: BaseException
    traceback: str


class RewardErrors:
    """A run's reward failures: logged once per (reward, exception type), counted per step."""

    def __init__(self):
        """No failure seen yet."""
        self._logged: set[tuple[str, type]] = set()
        self._start_step()

    def _start_step(self) -> None:
        self.counts: Counter = Counter()  # reward -> failed completions this step
        self.failed_completions = 0  # completions with at least one failing reward this step
        self.completions = 0
        self.first: RewardFailure | None = None

    def record(self, failure: RewardFailure) -> None:
        """Count a failure; log it if it is the first of its (reward, exception type)."""
        self.counts[failure.reward] += 1
        if self.first is None:
            self.first = failure
        key = (failure.reward, type(failure.error))
        if key not in self._logged:
            self._logged.add(key)
            logger.warning(
                "reward %r raised on sample %s: %s: %s (scored 0; logged once per reward and exception type, "
                "counted in rewards/%s/errors)",
                failure.reward,
                failure.sample,
                type(failure.error).__name__,
                failure.error,
                failure.reward,
            )

    def end_step(
        self,
        names: Sequence[str],
        max_fraction: float,
        step: int,
        reduce: Callable[[list[float]], Sequence[float]] = lambda values: values,
    ) -> dict[str, float]:
        """The step's `rewards/<name>/errors` counts (summed over ranks by `reduce`), then a fresh step.

        Raises RewardFailureError, after logging the first traceback, when more than `max_fraction` of the
        step's completions made some reward fail.
        """
        totals = reduce(
            [*(float(self.counts[n]) for n in names), float(self.failed_completions), float(self.completions)]
        )
        failed, completions = totals[-2], totals[-1]
        metrics = {f"rewards/{n}/errors": float(v) for n, v in zip(names, totals)}
        first = self.first
        self._start_step()
        if completions and failed / completions > max_fraction:
            worst = max(zip(names, totals), key=lambda item: item[1])[0]
            if first is not None:
                logger.error(
                    "first reward failure of step %d, reward %r on sample %s:\n%s",
                    step,
                    first.reward,
                    first.sample,
                    first.traceback,
                )
            where = (
                f"first: reward {first.reward!r} on sample {first.sample}: {type(first.error).__name__}: {first.error}; traceback above"
                if first
                else "on another rank"
            )
            raise RewardFailureError(
                f"step {step}: rewards failed on {int(failed)} of {int(completions)} completions "
                f"(> --max_reward_error_fraction {max_fraction}; most: {worst!r}); {where}",
                fix="fix the reward, or raise --max_reward_error_fraction to train through it",
            )
        return metrics


def _value(v) -> float:
    """A reward value as a float (NaN for None, "does not apply"); TypeError/ValueError if it is invalid."""
    if v is None:
        return math.nan
    if not isinstance(v, numbers.Real):
        raise TypeError(f"a reward value is a float or None, got {type(v).__name__} {v!r}")
    if not math.isfinite(v):
        raise ValueError(f"a reward value is finite, got {v!r}")
    return float(v)


def sample_id(columns: Mapping[str, list], i: int) -> str:
    """How messages name completion `i`'s sample: its id, image or source, and the completion's index."""
    for key in SAMPLE_ID_FIELDS:
        if key in columns and columns[key][i] is not None:
            return f"{columns[key][i]} (completion {i})"
    return f"completion {i}"


def _traceback(error: BaseException) -> str:
    """The frames and the exception line, without the "Traceback (most recent call last):" header."""
    lines = traceback.format_exception(type(error), error, error.__traceback__)
    return "".join(lines[1:] if lines and lines[0].startswith("Traceback") else lines).rstrip()


def _run_one(
    name: str, fn: RewardFn, completions: list[str], columns: Mapping[str, list], errors: RewardErrors
) -> tuple[np.ndarray, list[int]]:
    """One reward's values over the batch (NaN where it does not apply) and the completions it failed on."""
    n = len(completions)
    try:
        out = list(fn(completions, **columns))
        if len(out) != n:
            raise ValueError(f"returned {len(out)} values for {n} completions")
        return np.array([_value(v) for v in out], dtype=np.float64), []
    except Exception as error:  # a failing reward is scored 0 per completion and reported, never fatal here
        batch_error = error
    # Retry one completion at a time, so only the completions that really fail lose their reward.
    values = np.zeros(n, dtype=np.float64)
    failed = []
    for i in range(n):
        try:
            out = list(fn([completions[i]], **{k: [v[i]] for k, v in columns.items()}))
            if len(out) != 1:
                raise ValueError(f"returned {len(out)} values for 1 completion")
            values[i] = _value(out[0])
        except Exception as error:
            failed.append(i)
            errors.record(RewardFailure(name, sample_id(columns, i), error, _traceback(error)))
    if not failed:
        logger.warning(
            "reward %r failed on a batch of %d (%r) but on no single completion", name, n, batch_error
        )
    return values, failed


def compute_rewards(
    funcs: Mapping[str, RewardFn],
    weights: Sequence[float],
    completions: list[str],
    columns: Mapping[str, Sequence],
    errors: RewardErrors | None = None,
) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, int]]:
    """Weighted total reward per completion, each reward's values, and each reward's error count.

    completions: (n,) strings. columns: name -> (n,) values, the sample fields repeated per completion.
    errors: where failures are reported (the run's `RewardErrors`; default a fresh one for this call).
    Returns total (n,) float64, where a reward that does not apply (None) adds nothing; per_func name -> (n,)
    float64 with NaN where the reward does not apply (average them with np.nanmean); n_errors name -> int.
    """
    if len(weights) != len(funcs):
        raise ValueError(f"{len(weights)} weights for {len(funcs)} rewards {list(funcs)}")
    errors = errors if errors is not None else RewardErrors()
    n = len(completions)
    columns = {k: list(v) for k, v in columns.items()}
    for key, column in columns.items():
        if len(column) != n:
            raise ValueError(f"column {key!r} has {len(column)} entries for {n} completions")
    per_func: dict[str, np.ndarray] = {}
    n_errors: dict[str, int] = {}
    failed: set[int] = set()
    total = np.zeros(n, dtype=np.float64)
    for (name, fn), weight in zip(funcs.items(), weights):
        per_func[name], failed_here = _run_one(name, fn, completions, columns, errors)
        n_errors[name] = len(failed_here)
        failed.update(failed_here)
        total += np.nan_to_num(per_func[name], nan=0.0) * float(weight)
    errors.failed_completions += len(failed)
    errors.completions += n
    return total, per_func, n_errors
