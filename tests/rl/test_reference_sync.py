"""TR-DPO's reference mixing and the rollout-training log-prob agreement, by hand."""

from __future__ import annotations

import numpy as np
import paddle
import pytest

from paddlemix.rl.grpo.agreement import diff_metrics, logprob_diff
from paddlemix.rl.grpo.reference_sync import due, mix_into_reference


def test_mix_into_reference_is_alpha_policy_plus_one_minus_alpha_ref():
    paddle.seed(0)
    policy, ref = paddle.nn.Linear(3, 2), paddle.nn.Linear(3, 2)
    p, r = policy.weight.numpy().copy(), ref.weight.numpy().copy()
    mix_into_reference(policy, ref, 0.25)
    np.testing.assert_allclose(ref.weight.numpy(), 0.25 * p + 0.75 * r, rtol=1e-6)
    np.testing.assert_array_equal(policy.weight.numpy(), p)  # the policy is untouched
    with pytest.raises(ValueError, match="has no policy parameter"):
        mix_into_reference(paddle.nn.Linear(3, 4), ref, 0.5)
    assert [s for s in range(1, 8) if due(s, 3)] == [3, 6]


def test_logprob_diff_over_the_masked_tokens():
    sampled = paddle.to_tensor([[-1.0, -2.0, 0.0], [-0.5, -0.5, -0.5]])
    trained = paddle.to_tensor([[-1.0, -2.5, -9.0], [-0.4, -0.5, -0.5]])
    mask = paddle.to_tensor([[1, 1, 0], [1, 1, 1]])  # the −9 sits on padding: left out
    stats = logprob_diff(sampled, trained, mask)
    np.testing.assert_allclose(stats, [0.5, 0.6, 5], rtol=1e-6)
    assert diff_metrics(*stats) == pytest.approx(
        {"rollout/logprob_diff_max": 0.5, "rollout/logprob_diff_mean": 0.12}
    )
    assert diff_metrics(0.0, 0.0, 0) == {}
