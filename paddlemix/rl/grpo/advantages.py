"""Group-relative advantages: each completion's reward against the other completions of its prompt.

Rows are grouped consecutively: with group size G, rows i·G … i·G+G−1 are the G completions of prompt i.
For a group with rewards r, mean m and standard deviation s,

    A = (r − m) / (s + eps)      scale_rewards="group"  (GRPO; s within the group)
    A = (r − m) / (S + eps)      scale_rewards="batch"  (S is the std of every reward of the batch)
    A = r − m                    scale_rewards="none"   (Dr. GRPO)

The mean is always the group's. "batch" means the rewards passed in: give it the rewards of every rank
(gathered) to match trl, which normalises over the global batch. Standard deviations are unbiased (divide by count − 1), like `torch.std`
in trl and EasyR1. A group whose rewards are all equal carries no learning signal: its advantages are
exactly 0, and `zero_std_fraction` reports how many groups are like that.

Advantage estimators (`--advantage_estimator`, a registry: `@register_advantage_estimator(name)`), over a
rollout batch's rewards r (P prompts × G) and completion lengths L (P, G), as verl's `core_algos` defines them:

    grpo                          the group advantages above, by `scale_rewards`
    rloo                          r_i − mean of the group's other G − 1 rewards (RLOO; verl's G/(G−1) form)
    reinforce_plus_plus           whiten(r) over the batch's completion tokens (REINFORCE++, γ = 1: every
                                  token's return is the outcome reward)
    reinforce_plus_plus_baseline  whiten(r − group mean) over the batch's completion tokens

whiten(x) = (x − μ)/sqrt(σ² + 1e-8), μ and σ² (unbiased) over tokens, i.e. each completion weighted by L:
verl's `masked_whiten` of the per-token values.

Several rewards (`--multi_objective_aggregation`): `sum_then_normalize` (default) feeds the weighted sum to
the estimator; `normalize_then_sum` (GDPO, as trl) normalises each reward within its group,
(r_k − mean_k)/(std_k + eps), sums them with the weights, and normalises the sum over the batch,
(s − mean)/(std + eps).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import paddle

SCALE_REWARDS = ("group", "batch", "none")


def _grouped(rewards, group_size: int) -> paddle.Tensor:
    """The rewards (n,) as float32, reshaped to (n // group_size, group_size), after checking the shapes."""
    if not isinstance(group_size, int) or isinstance(group_size, bool) or group_size < 1:
        raise ValueError(f"group_size is a positive int, got {group_size!r}")
    if not isinstance(rewards, paddle.Tensor):
        rewards = paddle.to_tensor(rewards)
    rewards = rewards.astype("float32")
    if rewards.ndim != 1:
        raise ValueError(f"rewards are one per completion, shape (n,); got shape {list(rewards.shape)}")
    n = rewards.shape[0]
    if n == 0 or n % group_size:
        raise ValueError(
            f"{n} rewards do not split into groups of {group_size}: "
            "the batch must hold whole groups (prompts × num_generations completions)"
        )
    return rewards.reshape([n // group_size, group_size])


def _unbiased_std(x: paddle.Tensor, axis=None, keepdim: bool = False) -> paddle.Tensor:
    """Std with Bessel's correction; 0 (not NaN) for a single value, where trl also uses 0."""
    count = math.prod(x.shape) if axis is None else x.shape[axis]
    dev = x - x.mean(axis=axis, keepdim=True)
    return paddle.sqrt((dev * dev).sum(axis=axis, keepdim=keepdim) / max(count - 1, 1))


def group_advantages(
    rewards, group_size: int, scale_rewards: str = "group", eps: float = 1e-4
) -> paddle.Tensor:
    """Advantages (n,) from rewards (n,) in consecutive groups of `group_size`; see the module docstring."""
    if scale_rewards not in SCALE_REWARDS:
        raise ValueError(f"unknown scale_rewards {scale_rewards!r}; known: {', '.join(SCALE_REWARDS)}")
    grouped = _grouped(rewards, group_size)  # (prompts, G)
    centered = grouped - grouped.mean(axis=1, keepdim=True)
    if scale_rewards == "group":
        advantages = centered / (_unbiased_std(grouped, axis=1, keepdim=True) + eps)
    elif scale_rewards == "batch":
        advantages = centered / (_unbiased_std(grouped) + eps)
    else:
        advantages = centered
    # The float32 mean of equal rewards can be off by an ulp, which dividing by eps would blow up to ~1e-4
    # of spurious signal; an all-equal group has no signal, so it gets exactly 0.
    constant = (grouped.max(axis=1, keepdim=True) == grouped.min(axis=1, keepdim=True)).expand_as(grouped)
    advantages = paddle.where(constant, paddle.zeros_like(advantages), advantages)
    return advantages.reshape([-1])


def zero_std_fraction(rewards, group_size: int) -> float:
    """The fraction of groups whose rewards are all equal (std 0), i.e. that give no gradient."""
    grouped = _grouped(rewards, group_size)
    constant = grouped.max(axis=1) == grouped.min(axis=1)
    return float(constant.astype("float32").mean())


def slot_advantages(rewards: np.ndarray, scale_rewards: str = "group", eps: float = 1e-4) -> np.ndarray:
    """Advantages (P, G) float32 of a rollout batch's rewards (P prompts × G), computed over the valid rows.

    A row of NaN (a dropped prompt) stays NaN and takes no part in the "batch" std.
    """
    return batch_advantages(rewards, np.ones(rewards.shape), [], [], scale_rewards=scale_rewards, eps=eps)


# fn(rewards (P, G) float64, lengths (P, G) tokens, *, scale_rewards, eps) -> advantages (P, G)
EstimatorFn = Callable[..., np.ndarray]
_ESTIMATORS: dict[str, EstimatorFn] = {}
ADVANTAGE_ESTIMATORS = _ESTIMATORS.keys()
MULTI_OBJECTIVE_AGGREGATIONS = ("sum_then_normalize", "normalize_then_sum")


def register_advantage_estimator(name: str, fn: EstimatorFn | None = None):
    """Register `fn(rewards, lengths, *, scale_rewards, eps) -> advantages` (all (P, G)) as `name`."""

    def add(f: EstimatorFn) -> EstimatorFn:
        if not isinstance(name, str) or not name:
            raise ValueError(f"an advantage estimator name is a non-empty string, got {name!r}")
        if name in _ESTIMATORS:
            raise ValueError(
                f"advantage estimator {name!r} is already registered; registered: {', '.join(sorted(_ESTIMATORS))}"
            )
        _ESTIMATORS[name] = f
        return f

    return add if fn is None else add(fn)


def get_advantage_estimator(name: str) -> EstimatorFn:
    """The estimator registered as `name`; an error listing the registered names otherwise."""
    if name not in _ESTIMATORS:
        raise ValueError(
            f"unknown advantage_estimator {name!r}; registered: {', '.join(sorted(_ESTIMATORS))}"
        )
    return _ESTIMATORS[name]


def _centered(rewards: np.ndarray) -> np.ndarray:
    """rewards (P, G) minus their group means, exactly 0 in a group of equal rewards."""
    centered = rewards - rewards.mean(axis=1, keepdims=True)
    constant = rewards.max(axis=1, keepdims=True) == rewards.min(axis=1, keepdims=True)
    return np.where(constant, 0.0, centered)


def _token_whiten(values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """verl's masked_whiten of per-completion values (P, G) repeated over each completion's L tokens."""
    weights = lengths.astype(np.float64)
    count = weights.sum()
    if count < 2:
        raise ValueError(f"whitening needs at least 2 completion tokens in the batch, got {count:g}")
    mean = (values * weights).sum() / count
    var = ((values - mean) ** 2 * weights).sum() / count * count / (count - 1)
    return (values - mean) / np.sqrt(var + 1e-8)


@register_advantage_estimator("grpo")
def _grpo(rewards, lengths, *, scale_rewards="group", eps=1e-4):
    """The group advantages of `group_advantages`."""
    flat = paddle.to_tensor(rewards.reshape([-1]).astype("float32"))
    return group_advantages(flat, rewards.shape[1], scale_rewards, eps).numpy().reshape(rewards.shape)


@register_advantage_estimator("rloo")
def _rloo(rewards, lengths, **_):
    """Leave-one-out: G/(G−1)·(r_i − group mean) = r_i − mean of the others."""
    g = rewards.shape[1]
    return _centered(rewards) * g / (g - 1)


@register_advantage_estimator("reinforce_plus_plus")
def _reinforce_plus_plus(rewards, lengths, **_):
    """REINFORCE++: the rewards whitened over the batch's tokens, no group baseline."""
    return _token_whiten(rewards, lengths)


@register_advantage_estimator("reinforce_plus_plus_baseline")
def _reinforce_plus_plus_baseline(rewards, lengths, **_):
    """REINFORCE++-baseline: the group-centred rewards whitened over the batch's tokens."""
    return _token_whiten(_centered(rewards), lengths)


def _nanstd(x: np.ndarray, axis=None, keepdims: bool = False) -> np.ndarray:
    """Unbiased std ignoring NaN (trl's `nanstd`), NaN where fewer than 2 values."""
    count = np.sum(~np.isnan(x), axis=axis, keepdims=keepdims)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nanmean(x, axis=axis, keepdims=True)
        var = np.nansum((x - mean) ** 2, axis=axis, keepdims=keepdims) / (count - 1)
    return np.sqrt(np.where(count > 1, var, np.nan))


def normalize_then_sum(per_func: list[np.ndarray], weights, eps: float = 1e-4) -> np.ndarray:
    """GDPO's advantages (P, G) from each reward's values (P, G) (NaN where it does not apply); module docstring.

    A completion no reward applies to gets advantage 0, as in trl.
    """
    stacked = np.stack(per_func, axis=-1).astype(np.float64)  # (P, G, F)
    with np.errstate(invalid="ignore"):
        mean = np.nanmean(stacked, axis=1, keepdims=True)
    std = _nanstd(stacked, axis=1, keepdims=True)
    constant = np.nanmax(stacked, axis=1, keepdims=True) == np.nanmin(stacked, axis=1, keepdims=True)
    normalised = np.where(constant, np.where(np.isnan(stacked), np.nan, 0.0), (stacked - mean) / (std + eps))
    unscorable = np.isnan(stacked).all(axis=-1)
    summed = np.nansum(normalised * np.asarray(weights, dtype=np.float64), axis=-1)
    summed[unscorable] = np.nan
    advantages = (summed - np.nanmean(summed)) / (_nanstd(summed) + eps)
    return np.nan_to_num(advantages, nan=0.0)


def batch_advantages(
    rewards: np.ndarray,
    lengths: np.ndarray,
    per_func: list[np.ndarray],
    weights,
    *,
    estimator: str = "grpo",
    aggregation: str = "sum_then_normalize",
    scale_rewards: str = "group",
    eps: float = 1e-4,
) -> np.ndarray:
    """Advantages (P, G) float32 of a rollout batch: rewards, lengths and each of `per_func` are (P, G).

    Rows whose rewards are NaN (dropped prompts) stay NaN and take no part in batch statistics.
    """
    fn = get_advantage_estimator(estimator)
    if aggregation not in MULTI_OBJECTIVE_AGGREGATIONS:
        raise ValueError(
            f"unknown multi_objective_aggregation {aggregation!r}; known: {', '.join(MULTI_OBJECTIVE_AGGREGATIONS)}"
        )
    valid = ~np.isnan(rewards[:, 0])
    out = np.full(rewards.shape, np.nan, dtype=np.float32)
    if not valid.any():
        return out
    if aggregation == "normalize_then_sum":
        out[valid] = normalize_then_sum([f[valid] for f in per_func], weights, eps)
    else:
        rows = rewards[valid].astype(np.float64)
        out[valid] = fn(rows, lengths[valid], scale_rewards=scale_rewards, eps=eps)
    return out
