"""Rollout–training agreement: |generate log-prob − training log-prob| over the sampled tokens, logged each step.

Rollouts run the same model code as training, so the log-probs `generate` returned for the sampled tokens
should equal the training forward's before the first update on them (tests/rl/test_logprob_positions.py).
A drift means the two paths disagree (positions, masks, a cache bug, precision): it biases every update
silently, so the trainer logs `rollout/logprob_diff_max` and `rollout/logprob_diff_mean` and warns when the
max exceeds `WARN_ABOVE` in float32. (Peers that generate with an external engine correct for such a gap
with importance weights instead.)
"""

from __future__ import annotations

import numpy as np
import paddle

WARN_ABOVE = 1e-3  # float32; bf16 / fp16 training differs from generation by more and is not warned about


def logprob_diff(sampled: paddle.Tensor, trained: paddle.Tensor, mask: paddle.Tensor) -> np.ndarray:
    """[max, sum, count] of |sampled − trained| over the tokens of `mask`; the three inputs are (n, T)."""
    keep = mask.numpy().astype(bool)
    diff = np.abs(sampled.numpy().astype(np.float64) - trained.detach().astype("float32").numpy())[keep]
    if diff.size == 0:
        return np.zeros(3)
    return np.array([diff.max(), diff.sum(), diff.size], dtype=np.float64)


def diff_metrics(total_max: float, total_sum: float, count: float) -> dict[str, float]:
    """The logged metrics from the max and the summed differences and token count over the step."""
    if count == 0:
        return {}
    return {
        "rollout/logprob_diff_max": float(total_max),
        "rollout/logprob_diff_mean": float(total_sum / count),
    }
