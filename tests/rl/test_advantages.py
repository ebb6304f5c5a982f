"""Group-relative advantages against hand-computed values and a naive per-group loop."""

from __future__ import annotations

import statistics

import numpy as np
import paddle
import pytest

from paddlemix.rl.grpo.advantages import SCALE_REWARDS, group_advantages, zero_std_fraction


def naive_advantages(rewards: list[float], group_size: int, scale_rewards: str, eps: float) -> list[float]:
    """The formula one group at a time, in float64 Python: statistics.stdev is the unbiased std."""
    batch_std = statistics.stdev(rewards) if len(rewards) > 1 else 0.0
    out = []
    for start in range(0, len(rewards), group_size):
        group = rewards[start : start + group_size]
        mean = sum(group) / len(group)
        std = statistics.stdev(group) if len(group) > 1 else 0.0
        for r in group:
            if max(group) == min(group):
                out.append(0.0)
            elif scale_rewards == "group":
                out.append((r - mean) / (std + eps))
            elif scale_rewards == "batch":
                out.append((r - mean) / (batch_std + eps))
            else:
                out.append(r - mean)
    return out


def adv(rewards, group_size, scale_rewards="group", eps=1e-4) -> np.ndarray:
    return group_advantages(
        paddle.to_tensor(rewards, dtype="float32"), group_size, scale_rewards, eps
    ).numpy()


def test_group_scaling_by_hand():
    # Group [0, 3, 6]: mean 3, deviations (-3, 0, 3), unbiased var (9 + 0 + 9) / 2 = 9, std 3.
    # Group [1, 3]: mean 2, deviations (-1, 1), unbiased var (1 + 1) / 1 = 2, std √2.
    got = adv([0.0, 3.0, 6.0], 3)
    np.testing.assert_allclose(got, [-3 / 3.0001, 0.0, 3 / 3.0001], rtol=1e-6)
    got = adv([1.0, 3.0], 2)
    np.testing.assert_allclose(got, [-1 / (2**0.5 + 1e-4), 1 / (2**0.5 + 1e-4)], rtol=1e-6)
    np.testing.assert_allclose(adv([0.0, 3.0, 6.0], 3, eps=0.0), [-1.0, 0.0, 1.0], rtol=1e-6)


def test_batch_and_none_scaling_by_hand():
    rewards = [0.0, 3.0, 6.0, 1.0, 2.0, 3.0]
    # Group means 3 and 2, so r - mean = (-3, 0, 3, -1, 0, 1). The batch: mean 15/6 = 2.5, squared
    # deviations 6.25 + 0.25 + 12.25 + 2.25 + 0.25 + 0.25 = 21.5, unbiased var 21.5/5 = 4.3.
    centered = np.array([-3.0, 0.0, 3.0, -1.0, 0.0, 1.0])
    np.testing.assert_allclose(adv(rewards, 3, "batch"), centered / (4.3**0.5 + 1e-4), rtol=1e-6)
    np.testing.assert_allclose(adv(rewards, 3, "none"), centered, rtol=1e-6, atol=1e-7)
    # "group" for comparison: the second group's std is 1, the first's 3.
    np.testing.assert_allclose(adv(rewards, 3, "group"), centered / np.repeat([3.0001, 1.0001], 3), rtol=1e-6)


@pytest.mark.parametrize("scale_rewards", SCALE_REWARDS)
@pytest.mark.parametrize("group_size", [1, 2, 4, 8])
def test_matches_naive_loop(scale_rewards, group_size):
    rng = np.random.default_rng(group_size)
    rewards = rng.choice([0.0, 0.25, 0.5, 1.0, 2.0], size=4 * group_size).astype("float32").tolist()
    expected = naive_advantages(rewards, group_size, scale_rewards, 1e-4)
    np.testing.assert_allclose(adv(rewards, group_size, scale_rewards), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("scale_rewards", SCALE_REWARDS)
def test_zero_std_groups_get_exactly_zero(scale_rewards):
    rewards = [0.3] * 8 + [0.1, 0.2, 0.7, 0.0, 1.0, 0.5, 0.5, 0.25] + [0.0] * 8
    # The float32 mean of eight 0.3s is off by an ulp (3e-8); divided by eps = 1e-4 that would be a
    # spurious advantage of 3e-4 for a group that carries no signal.
    eight = paddle.full([1, 8], 0.3, dtype="float32")
    assert float((eight - eight.mean(axis=1, keepdim=True)).abs().max()) > 0
    got = adv(rewards, 8, scale_rewards)
    assert np.isfinite(got).all()
    assert (got[:8] == 0).all() and (got[16:] == 0).all()
    assert (got[8:16] != 0).all()
    assert zero_std_fraction(paddle.to_tensor(rewards), 8) == pytest.approx(2 / 3)


def test_all_groups_constant_and_single_completion_groups():
    got = adv([1.0] * 8, 4, "batch")
    assert (got == 0).all()
    assert zero_std_fraction(paddle.zeros([8]), 4) == 1.0
    assert zero_std_fraction(paddle.to_tensor([0.0, 1.0, 1.0, 1.0]), 2) == 0.5
    # G = 1: a lone completion has no peer to compare with; the unbiased std must not turn into NaN.
    assert (adv([0.5, 2.0], 1) == 0).all()


def test_accepts_lists_and_numpy_and_returns_float32():
    from_list = group_advantages([0.0, 1.0], 2)
    from_numpy = group_advantages(np.array([0, 1], dtype="int64"), 2)
    assert from_list.dtype == paddle.float32 and list(from_list.shape) == [2]
    np.testing.assert_allclose(from_list.numpy(), from_numpy.numpy())


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="do not split into groups of 4"):
        group_advantages(paddle.zeros([6]), 4)
    with pytest.raises(ValueError, match="do not split into groups of 4"):
        zero_std_fraction(paddle.zeros([6]), 4)
    with pytest.raises(ValueError, match="unknown scale_rewards 'std'; known: group, batch, none"):
        group_advantages(paddle.zeros([4]), 2, scale_rewards="std")
    with pytest.raises(ValueError, match=r"shape \(n,\)"):
        group_advantages(paddle.zeros([2, 2]), 2)
    with pytest.raises(ValueError, match="positive int"):
        group_advantages(paddle.zeros([4]), 0)
