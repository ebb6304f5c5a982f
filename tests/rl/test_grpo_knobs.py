"""The GRPO options beside the loss: the KL estimator and the advantage epsilon."""

from __future__ import annotations

import math

import numpy as np
import paddle
import pytest

from paddlemix.config import ConfigError
from paddlemix.rl.grpo.advantages import slot_advantages
from paddlemix.rl.grpo.loss import KL_ESTIMATORS, grpo_loss
from tests.rl.grpo_testing import train_config

# (logp, ref_logp, estimator, expected per-token value)
KL_CASES = [
    (-1.0, -2.0, "k1", 1.0),  # k1 = logp - ref
    (-2.0, -1.0, "k1", -1.0),  # k1 is signed
    (-1.0, -2.0, "k3", math.exp(-1.0) + 1.0 - 1.0),  # k3 = e^(ref-logp) - (ref-logp) - 1
    (-1.0, -1.0, "k3", 0.0),  # same policy: 0
    (-1.0, -2.0, "low_var_kl", math.exp(-1.0)),  # small values: k3 unchanged
    (-20.0, 0.0, "low_var_kl", 10.0),  # e^20 - 21 clamped to 10
]


@pytest.mark.parametrize("logp, ref, name, want", KL_CASES)
def test_kl_estimators(logp, ref, name, want):
    got = KL_ESTIMATORS[name](paddle.to_tensor([[logp]]), paddle.to_tensor([[ref]]))
    assert abs(float(got.reshape([])) - want) < 1e-5


def test_loss_uses_the_chosen_estimator():
    paddle.seed(0)
    logp = paddle.randn([4, 5]) - 2.0
    ref = logp + paddle.randn([4, 5])
    adv, mask = paddle.to_tensor([1.0, -1.0, 0.5, 0.0]), paddle.ones([4, 5])
    common = dict(beta=0.1, epsilon=0.2, loss_type="bnpo")
    base, _ = grpo_loss(logp, None, ref, adv, mask, kl_estimator="k3", **common)
    for name, fn in KL_ESTIMATORS.items():
        loss, parts = grpo_loss(logp, None, ref, adv, mask, kl_estimator=name, **common)
        # Only the KL term changes: the difference is beta times the difference of the token means.
        want = 0.1 * float((fn(logp, ref) - KL_ESTIMATORS["k3"](logp, ref)).mean())
        assert abs(float(loss - base) - want) < 1e-5, name
        assert abs(float(parts["kl"]) - float(fn(logp, ref).mean())) < 1e-5, name
    with pytest.raises(ValueError, match="k1, k3, low_var_kl"):
        grpo_loss(logp, None, ref, adv, mask, kl_estimator="k2", **common)


def test_advantage_epsilon_is_added_to_the_group_std():
    rewards = np.array([[0.0, 1.0, 1.0, 1.0], [2.0, 2.0, 2.0, 2.0]], dtype=np.float32)
    std = np.std(rewards[0], ddof=1)
    for eps in (1e-4, 1.0):
        got = slot_advantages(rewards, "group", eps)
        np.testing.assert_allclose(got[0], (rewards[0] - rewards[0].mean()) / (std + eps), rtol=1e-5)
        assert (got[1] == 0).all()  # an all-equal group has no signal, whatever eps


@pytest.mark.parametrize(
    "flags, message",
    [
        ({"beta": 0.0, "kl_estimator": "k1"}, "kl_estimator has no effect"),  # no KL term at all
        ({"kl_estimator": "k2"}, "kl_estimator must be one of"),  # unknown name
        (
            {"scale_rewards": "none", "advantage_epsilon": 0.1},
            "advantage_epsilon has no effect",
        ),  # no division
    ],
)
def test_config_errors(counting_dir, tmp_path, flags, message):
    with pytest.raises(ConfigError, match=message):
        train_config(counting_dir, str(tmp_path), **flags)
