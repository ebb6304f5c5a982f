"""The advantage estimators and GDPO's multi-reward normalisation against naive loops written from verl / trl."""

from __future__ import annotations

import math

import numpy as np
import pytest

from paddlemix.rl.grpo.advantages import (
    batch_advantages,
    group_advantages,
    normalize_then_sum,
    register_advantage_estimator,
)


def rollout(seed=0, p=3, g=4, t=7):
    """Rewards (P, G) and lengths (P, G) in 1..t, with one all-equal group."""
    rng = np.random.default_rng(seed)
    rewards = rng.normal(size=(p, g))
    rewards[1] = 0.5
    lengths = rng.integers(1, t + 1, size=(p, g))
    return rewards, lengths


def token_matrix(values, lengths, t):
    """verl's layout: each completion's value on its tokens, (P·G, T), and the response mask."""
    flat_v, flat_l = values.reshape(-1), lengths.reshape(-1)
    mask = np.zeros((flat_v.size, t))
    for i, n in enumerate(flat_l):
        mask[i, :n] = 1
    return flat_v[:, None] * mask, mask


def verl_masked_whiten(values, mask):
    """verl_F.masked_whiten, one token at a time."""
    tokens = [values[i, j] for i in range(values.shape[0]) for j in range(values.shape[1]) if mask[i, j]]
    mean = sum(tokens) / len(tokens)
    var = sum((x - mean) ** 2 for x in tokens) / len(tokens) * len(tokens) / (len(tokens) - 1)
    return (values - mean) / math.sqrt(var + 1e-8) * mask


def naive_rloo(rewards):
    out = np.zeros_like(rewards)
    for i, row in enumerate(rewards):
        for j in range(len(row)):
            others = [row[k] for k in range(len(row)) if k != j]
            out[i, j] = row[j] - sum(others) / len(others)
    return out


def per_completion(token_values, mask, shape):
    """The value on each completion's first token (all its tokens share it)."""
    return token_values[:, 0].reshape(shape)


def test_rloo_is_the_leave_one_out_baseline():
    rewards, lengths = rollout()
    got = batch_advantages(rewards, lengths, [], [], estimator="rloo")
    np.testing.assert_allclose(got, naive_rloo(rewards), rtol=1e-5, atol=1e-6)
    assert (got[1] == 0).all()  # equal rewards: no signal


def test_reinforce_plus_plus_whitens_over_tokens():
    rewards, lengths = rollout(seed=1)
    # verl: returns with γ = 1 from the outcome reward on the last token are the reward on every token.
    returns, mask = token_matrix(rewards, lengths, 7)
    want = per_completion(verl_masked_whiten(returns, mask), mask, rewards.shape)
    got = batch_advantages(rewards, lengths, [], [], estimator="reinforce_plus_plus")
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    # Token weighting matters: whitening per completion (ignoring lengths) gives something else.
    unweighted = (rewards - rewards.mean()) / rewards.std(ddof=1)
    assert np.abs(got - unweighted).max() > 1e-2


def test_reinforce_plus_plus_baseline_centres_in_the_group_then_whitens_over_tokens():
    rewards, lengths = rollout(seed=2)
    centred = np.array([[r - sum(row) / len(row) for r in row] for row in rewards])
    values, mask = token_matrix(centred, lengths, 7)
    want = per_completion(verl_masked_whiten(values, mask), mask, rewards.shape)
    got = batch_advantages(rewards, lengths, [], [], estimator="reinforce_plus_plus_baseline")
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_grpo_estimator_is_group_advantages_and_dropped_rows_stay_nan():
    rewards, lengths = rollout(seed=3)
    rewards[2] = np.nan
    got = batch_advantages(rewards, lengths, [], [], estimator="grpo")
    want = group_advantages(rewards[:2].reshape(-1).astype("float32"), 4).numpy().reshape(2, 4)
    np.testing.assert_allclose(got[:2], want, rtol=1e-6)
    assert np.isnan(got[2]).all()


def naive_gdpo(per_func, weights, eps=1e-4):
    """trl's normalize_then_sum, one value at a time (NaN: the reward does not apply)."""
    p, g = per_func[0].shape
    summed = np.full((p, g), np.nan)
    for i in range(p):
        for j in range(g):
            total, any_applies = 0.0, False
            for f, w in zip(per_func, weights):
                vals = [v for v in f[i] if not np.isnan(v)]
                if np.isnan(f[i, j]):
                    continue
                any_applies = True
                mean = sum(vals) / len(vals)
                std = (
                    math.sqrt(sum((v - mean) ** 2 for v in vals) / (len(vals) - 1))
                    if len(vals) > 1
                    else math.nan
                )
                total += w * (f[i, j] - mean) / (std + eps)
            if any_applies:
                summed[i, j] = total
    vals = [v for v in summed.reshape(-1) if not np.isnan(v)]
    mean = sum(vals) / len(vals)
    std = math.sqrt(sum((v - mean) ** 2 for v in vals) / (len(vals) - 1))
    return np.nan_to_num((summed - mean) / (std + eps), nan=0.0)


def test_normalize_then_sum_against_a_naive_loop():
    rng = np.random.default_rng(4)
    a = rng.normal(size=(3, 4))
    b = rng.uniform(0, 10, size=(3, 4))  # a larger scale: GDPO keeps it from swamping `a`
    b[2, 1] = np.nan  # does not apply to one completion
    weights = [1.0, 0.5]
    got = normalize_then_sum([a, b], weights)
    np.testing.assert_allclose(got, naive_gdpo([a, b], weights), rtol=1e-6, atol=1e-9)
    summed = batch_advantages(a + 0.5 * np.nan_to_num(b), np.ones((3, 4)), [a, b], weights)
    assert np.abs(summed - got).max() > 1e-2  # sum_then_normalize is a different thing
    total = a + 0.5 * np.nan_to_num(b)
    via_batch = batch_advantages(total, np.ones((3, 4)), [a, b], weights, aggregation="normalize_then_sum")
    np.testing.assert_allclose(via_batch, got.astype("float32"), rtol=1e-6)


def test_registry_rejects_duplicates_and_unknowns():
    with pytest.raises(
        ValueError, match="'rloo' is already registered; registered: grpo, reinforce_plus_plus, "
    ):
        register_advantage_estimator("rloo", lambda *a, **k: None)
    with pytest.raises(ValueError, match="unknown advantage_estimator 'ppo'; registered: grpo, "):
        batch_advantages(np.zeros((1, 2)), np.ones((1, 2)), [], [], estimator="ppo")
    with pytest.raises(ValueError, match="unknown multi_objective_aggregation 'mean'"):
        batch_advantages(np.zeros((1, 2)), np.ones((1, 2)), [], [], aggregation="mean")
