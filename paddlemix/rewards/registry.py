"""The reward registry: rewards are looked up by the names configs use (`reward_funcs: [accuracy, format]`).

A reward is `fn(completions: list[str], **columns) -> list[float | None]`, one value per completion; the
columns are the samples' fields, one list entry per completion (`solution`, `image_size`, `image_grid_thw`,
`coord_frame`, ...). `None` means the reward does not apply to that sample (a task mixture). Register one with

    @register_reward("my_reward")
    def my_reward(completions, solution, **_): ...

or in one line, `register_reward("my_reward", fn)`. Most rewards score each completion on its own; write
those as `fn(completion, **fields) -> float | None` and wrap them with `per_sample`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

RewardFn = Callable[..., list]

_REWARDS: dict[str, RewardFn] = {}


def register_reward(name: str, fn: RewardFn | None = None):
    """Register `fn` under `name`; used bare (`register_reward(name, fn)`) or as `@register_reward(name)`."""

    def add(f: RewardFn) -> RewardFn:
        if not isinstance(name, str) or not name:
            raise ValueError(f"a reward name is a non-empty string, got {name!r}")
        if name in _REWARDS:
            raise ValueError(
                f"reward {name!r} is already registered; registered: {', '.join(sorted(_REWARDS))}"
            )
        _REWARDS[name] = f
        return f

    return add if fn is None else add(fn)


def reward_names() -> list[str]:
    """The registered reward names, sorted."""
    return sorted(_REWARDS)


def get_reward(name: str) -> RewardFn:
    """The reward registered under `name`; an error listing the registered names otherwise."""
    if name not in _REWARDS:
        raise ValueError(f"unknown reward {name!r}; registered: {', '.join(reward_names())}")
    return _REWARDS[name]


def build_rewards(
    names: Sequence[str | RewardFn], weights: Sequence[float] | None = None
) -> tuple[dict[str, RewardFn], list[float]]:
    """The rewards a config names, in order, and their weights (all 1.0 when `weights` is None).

    A name may also be a function, registered or not; it is keyed by its `__name__`.
    """
    funcs: dict[str, RewardFn] = {}
    for item in names:
        name, fn = (item, get_reward(item)) if isinstance(item, str) else (item.__name__, item)
        if name in funcs:
            raise ValueError(f"reward {name!r} is listed twice in {list(names)}")
        funcs[name] = fn
    if not funcs:
        raise ValueError(f"no rewards given; registered: {', '.join(reward_names())}")
    if weights is None:
        weights = [1.0] * len(funcs)
    if len(weights) != len(funcs):
        raise ValueError(f"{len(weights)} reward_weights for {len(funcs)} reward_funcs {list(funcs)}")
    return funcs, [float(w) for w in weights]


def per_sample(fn: Callable[..., float | None]) -> RewardFn:
    """Turn `fn(completion, **fields) -> float | None` into a batch reward over completions and columns."""

    @functools.wraps(fn)
    def batch(completions: list[str], **columns) -> list[float | None]:
        return [fn(c, **{k: v[i] for k, v in columns.items()}) for i, c in enumerate(completions)]

    return batch
