"""The GRPO loss against hand-computed values, a naive per-token loop, and finite differences."""

from __future__ import annotations

import math

import numpy as np
import paddle
import pytest

from paddlemix.rl.grpo import loss as grpo_loss_module
from paddlemix.rl.grpo.loss import (
    LOSS_TYPES,
    aggregate,
    clipped_surrogate,
    get_loss_aggregation,
    grpo_loss,
    k3_kl,
    register_loss_aggregation,
)

LN2 = math.log(2.0)


def naive_loss(logp, old, ref, adv, mask, *, beta, eps, eps_high, loss_type, max_len=None, num_items=None):
    """The loss one token at a time in float64 Python, from nested lists; also the clip counts."""
    n, t = len(logp), len(logp[0])
    per_token, clipped, low, high = [], 0, 0, 0
    for i in range(n):
        row = []
        for j in range(t):
            ratio = math.exp(logp[i][j] - old[i][j])
            unclipped = ratio * adv[i]
            clip = min(max(ratio, 1 - eps), 1 + eps_high) * adv[i]
            value = -min(unclipped, clip)
            if beta:
                d = ref[i][j] - logp[i][j]
                value += beta * (math.exp(d) - d - 1)
            row.append(value)
            if mask[i][j] and clip < unclipped:
                clipped += 1
                low += adv[i] < 0
                high += adv[i] > 0
        per_token.append(row)
    lengths = [sum(m) for m in mask]
    sums = [sum(v for v, m in zip(row, ms) if m) for row, ms in zip(per_token, mask)]
    total_tokens = sum(lengths)
    if loss_type == "grpo":
        loss = sum(s / max(length, 1) for s, length in zip(sums, lengths)) / n
    elif loss_type == "bnpo":
        loss = sum(sums) / max(total_tokens, 1)
    elif loss_type == "dr_grpo":
        loss = sum(sums) / (n * max_len)
    else:
        loss = sum(sums) / max(num_items if num_items is not None else total_tokens, 1)
    return loss, {
        "clip_ratio": clipped / total_tokens,
        "low": low / total_tokens,
        "high": high / total_tokens,
    }


def tensor(values, stop_gradient=True, dtype="float32"):
    t = paddle.to_tensor(values, dtype=dtype)
    t.stop_gradient = stop_gradient
    return t


def random_batch(seed, n=6, t=5, spread=0.5):
    """Log-probs with old/ref perturbed by up to ±spread (ratios from 0.6 to 1.6), ragged masks, mixed-sign A."""
    rng = np.random.default_rng(seed)
    logp = np.log(rng.uniform(0.05, 0.95, size=(n, t)))
    old = logp + rng.uniform(-spread, spread, size=(n, t))
    ref = logp + rng.uniform(-spread, spread, size=(n, t))
    adv = rng.normal(size=n)
    adv[0] = 0.0
    lengths = rng.integers(1, t + 1, size=n)
    lengths[1] = t
    mask = (np.arange(t)[None, :] < lengths[:, None]).astype("int64")
    return [a.astype("float32") for a in (logp, old, ref, adv)] + [mask]


# ---------------------------------------------------------------- hand-computed values


def test_k3_by_hand():
    # ref − logp = d:  d = 0 → 0;  d = ln2 → 2 − ln2 − 1 = 0.3068528;  d = −ln2 → 0.5 + ln2 − 1 = 0.1931472.
    logp = tensor([[0.0, -LN2, 0.0]])
    ref = tensor([[0.0, 0.0, -LN2]])
    np.testing.assert_allclose(k3_kl(logp, ref).numpy(), [[0.0, 0.3068528, 0.1931472]], rtol=1e-6, atol=1e-7)


def test_clipped_surrogate_both_sides_and_eps_high_by_hand():
    # Row 0 has A = +1, row 1 has A = −1; ratios are set through old_logp = logp − ln(ratio). ε = 0.2, ε_high = 0.3:
    #   r=1.5,  A=+1: min(1.5, 1.3)   = 1.3   → −1.3, clipped (high)
    #   r=0.5,  A=+1: min(0.5, 0.8)   = 0.5   → −0.5  (a lower clip never binds for A > 0)
    #   r=1.25, A=+1: inside [0.8, 1.3]        → −1.25 (but clipped at 1.2 when ε_high = ε = 0.2)
    #   r=1.5,  A=−1: min(−1.5, −1.3) = −1.5  → 1.5   (an upper clip never binds for A < 0)
    #   r=0.5,  A=−1: min(−0.5, −0.8) = −0.8  → 0.8, clipped (low)
    #   r=0.9,  A=−1: inside                   → 0.9
    ratios = np.array([[1.5, 0.5, 1.25], [1.5, 0.5, 0.9]])
    logp = tensor(np.full((2, 3), -1.0))
    old = tensor(-1.0 - np.log(ratios))
    adv = tensor([1.0, -1.0])
    loss, clipped = clipped_surrogate(logp, old, adv, 0.2, 0.3)
    np.testing.assert_allclose(loss.numpy(), [[-1.3, -0.5, -1.25], [1.5, 0.8, 0.9]], rtol=1e-6)
    assert clipped.numpy().tolist() == [[True, False, False], [False, True, False]]
    loss, clipped = clipped_surrogate(logp, old, adv, 0.2)
    np.testing.assert_allclose(loss.numpy()[0], [-1.2, -0.5, -1.2], rtol=1e-6)
    assert clipped.numpy().tolist() == [[True, False, True], [False, True, False]]


def test_aggregations_by_hand():
    # Valid tokens: row 0 = 1, 2, 3, 4 (4 tokens), row 1 = 5, 6 (2 tokens); ±100 sit on padding.
    per_token = tensor([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 100.0, -100.0]])
    mask = tensor([[1, 1, 1, 1], [1, 1, 0, 0]], dtype="int64")
    # grpo: row means 10/4 = 2.5 and 11/2 = 5.5, mean 4.0.   bnpo: 21 / 6 = 3.5.
    # dr_grpo, max_completion_length 5: 21 / (2 · 5) = 2.1.  dapo, 14 tokens in the step: 21 / 14 = 1.5.
    assert float(aggregate(per_token, mask, "grpo")) == pytest.approx(4.0)
    assert float(aggregate(per_token, mask, "bnpo")) == pytest.approx(3.5)
    assert float(aggregate(per_token, mask, "dr_grpo", max_completion_length=5)) == pytest.approx(2.1)
    assert float(aggregate(per_token, mask, "dapo", num_items_in_batch=14)) == pytest.approx(1.5)
    assert float(aggregate(per_token, mask, "dapo", num_items_in_batch=tensor(14.0))) == pytest.approx(1.5)
    # Without the step's count dapo falls back to this micro-batch's tokens: bnpo's 3.5.
    assert float(aggregate(per_token, mask, "dapo")) == pytest.approx(3.5)
    # A mask as bool or float gives the same.
    assert float(aggregate(per_token, mask.astype("bool"), "grpo")) == pytest.approx(4.0)
    # Non-finite values on padding stay out too (a product with the mask would make them NaN).
    per_token = tensor([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, math.inf, math.nan]])
    for loss_type in LOSS_TYPES:
        assert math.isfinite(float(aggregate(per_token, mask, loss_type, max_completion_length=5)))


@pytest.mark.parametrize("loss_type", ["grpo", "bnpo", "dr_grpo", "dapo"])
def test_one_token_loss_and_gradient_by_hand(loss_type):
    # logp = ln ½ = old (ratio 1), ref = 0, so ref − logp = ln2 and k3 = 0.3068528. A = 2, β = 0.1:
    #   loss = −1·2 + 0.1·0.3068528 = −1.9693147
    #   d/dlogp = −ratio·A + β·(1 − e^{ref−logp}) = −2 + 0.1·(1 − 2) = −2.1
    logp = tensor([[-LN2]], stop_gradient=False)
    loss, metrics = grpo_loss(
        logp,
        logp.detach(),
        tensor([[0.0]]),
        tensor([2.0]),
        tensor([[1]]),
        beta=0.1,
        epsilon=0.2,
        loss_type=loss_type,
        max_completion_length=1,
        num_items_in_batch=1,
    )
    loss.backward()
    assert float(loss) == pytest.approx(-1.9693147, rel=1e-6)
    assert logp.grad.item() == pytest.approx(-2.1, rel=1e-6)
    assert float(metrics["kl"]) == pytest.approx(0.3068528, rel=1e-6)
    assert float(metrics["clip_ratio"]) == 0.0


def test_clip_metrics_by_hand_skip_padding():
    # The clip example above (ε = 0.2, ε_high = 0.3) with the second row's last token as padding:
    # 5 valid tokens, clipped: one high (row 0, r=1.5) and one low (row 1, r=0.5).
    ratios = np.array([[1.5, 0.5, 1.25], [1.5, 0.5, 0.4]])
    logp = tensor(np.full((2, 3), -1.0))
    _, metrics = grpo_loss(
        logp,
        tensor(-1.0 - np.log(ratios)),
        None,
        tensor([1.0, -1.0]),
        tensor([[1, 1, 1], [1, 1, 0]]),
        beta=0.0,
        epsilon=0.2,
        epsilon_high=0.3,
    )
    assert float(metrics["clip_ratio"]) == pytest.approx(2 / 5)
    assert float(metrics["clip_ratio_low"]) == pytest.approx(1 / 5)
    assert float(metrics["clip_ratio_high"]) == pytest.approx(1 / 5)


# ---------------------------------------------------------------- against the naive loop


@pytest.mark.parametrize("loss_type", ["grpo", "bnpo", "dr_grpo", "dapo"])
@pytest.mark.parametrize("beta", [0.0, 0.04])
@pytest.mark.parametrize("eps_high", [None, 0.28])
def test_mu_greater_than_one_matches_naive_loop(loss_type, beta, eps_high):
    # μ > 1: old_logp differs from logp by up to ±0.5, so ratios fall on both sides of both clip bounds.
    logp, old, ref, adv, mask = random_batch(seed=7)
    kwargs = dict(beta=beta, eps=0.2, eps_high=0.2 if eps_high is None else eps_high, loss_type=loss_type)
    expected, counts = naive_loss(
        logp.tolist(),
        old.tolist(),
        ref.tolist(),
        adv.tolist(),
        mask.tolist(),
        max_len=7,
        num_items=40,
        **kwargs,
    )
    assert 0 < counts["low"] and 0 < counts["high"]
    loss, metrics = grpo_loss(
        tensor(logp),
        tensor(old),
        tensor(ref) if beta else None,
        tensor(adv),
        tensor(mask),
        beta=beta,
        epsilon=0.2,
        epsilon_high=eps_high,
        loss_type=loss_type,
        max_completion_length=7,
        num_items_in_batch=40,
    )
    assert float(loss) == pytest.approx(expected, rel=1e-5, abs=1e-6)
    assert float(metrics["clip_ratio"]) == pytest.approx(counts["clip_ratio"])
    assert float(metrics["clip_ratio_low"]) == pytest.approx(counts["low"])
    assert float(metrics["clip_ratio_high"]) == pytest.approx(counts["high"])
    assert ("kl" in metrics) == (beta > 0)


@pytest.mark.parametrize("loss_type", ["grpo", "bnpo", "dr_grpo", "dapo"])
def test_gradient_matches_finite_differences_of_naive_loop(loss_type):
    logp, old, ref, adv, mask = random_batch(seed=3, n=3, t=4)
    kwargs = dict(beta=0.04, eps=0.2, eps_high=0.28, loss_type=loss_type, max_len=6, num_items=20)
    lists = [a.astype("float64").tolist() for a in (old, ref, adv)] + [mask.tolist()]
    x = tensor(logp, stop_gradient=False)
    loss, _ = grpo_loss(
        x,
        tensor(old),
        tensor(ref),
        tensor(adv),
        tensor(mask),
        beta=0.04,
        epsilon=0.2,
        epsilon_high=0.28,
        loss_type=loss_type,
        max_completion_length=6,
        num_items_in_batch=20,
    )
    loss.backward()
    h = 1e-6
    numeric = np.zeros_like(logp, dtype="float64")
    for i in range(logp.shape[0]):
        for j in range(logp.shape[1]):
            plus, minus = logp.astype("float64"), logp.astype("float64")
            plus[i, j] += h
            minus[i, j] -= h
            numeric[i, j] = (
                naive_loss(plus.tolist(), *lists, **kwargs)[0]
                - naive_loss(minus.tolist(), *lists, **kwargs)[0]
            ) / (2 * h)
    np.testing.assert_allclose(x.grad.numpy(), numeric, rtol=1e-4, atol=1e-6)
    # Padding gets no gradient.
    assert (x.grad.numpy()[mask == 0] == 0).all()


def test_gradient_flows_only_through_logp():
    logp, old, ref, adv, mask = random_batch(seed=1)
    tensors = [tensor(a, stop_gradient=False) for a in (logp, old, ref, adv)]
    loss, metrics = grpo_loss(*tensors, tensor(mask), beta=0.04, epsilon=0.2)
    loss.backward()
    assert tensors[0].grad is not None
    assert all(t.grad is None for t in tensors[1:])
    assert all(v.stop_gradient for v in metrics.values())


# ---------------------------------------------------------------- μ = 1, β = 0, masking


@pytest.mark.parametrize("loss_type", ["grpo", "bnpo", "dr_grpo", "dapo"])
def test_mu_one_ratio_is_one(loss_type):
    # old = logp.detach(): ratio 1, nothing clipped, and the loss is −A aggregated; None means the same.
    logp, _, _, adv, mask = random_batch(seed=2)
    x = tensor(logp, stop_gradient=False)
    common = dict(beta=0.0, epsilon=0.2, loss_type=loss_type, max_completion_length=5)
    loss, metrics = grpo_loss(x, x.detach(), None, tensor(adv), tensor(mask), **common)
    loss_none, _ = grpo_loss(x, None, None, tensor(adv), tensor(mask), **common)
    expected = aggregate(tensor(-np.repeat(adv[:, None], logp.shape[1], axis=1)), tensor(mask), loss_type, 5)
    assert float(loss) == pytest.approx(float(expected), rel=1e-6, abs=1e-7)
    assert float(loss_none) == float(loss)
    assert float(metrics["clip_ratio"]) == 0.0
    # The gradient is −A times the aggregation weight on every valid token, even at ε = 0 where ratio 1
    # sits on both clip bounds.
    loss_eps0, _ = grpo_loss(x, None, None, tensor(adv), tensor(mask), **{**common, "epsilon": 0.0})
    (grad_eps0,) = paddle.grad(loss_eps0, x)
    loss.backward()
    np.testing.assert_allclose(grad_eps0.numpy(), x.grad.numpy(), rtol=1e-6)


def test_beta_zero_needs_no_reference_and_logs_no_kl():
    logp, old, _, adv, mask = random_batch(seed=4)
    loss, metrics = grpo_loss(
        tensor(logp), tensor(old), None, tensor(adv), tensor(mask), beta=0.0, epsilon=0.2
    )
    assert "kl" not in metrics
    assert set(metrics) == {"clip_ratio", "clip_ratio_low", "clip_ratio_high"}
    expected, _ = naive_loss(
        logp.tolist(),
        old.tolist(),
        None,
        adv.tolist(),
        mask.tolist(),
        beta=0.0,
        eps=0.2,
        eps_high=0.2,
        loss_type="grpo",
    )
    assert float(loss) == pytest.approx(expected, rel=1e-5)


def test_beta_positive_kl_metric_is_masked_k3_mean():
    logp, old, ref, adv, mask = random_batch(seed=5)
    _, metrics = grpo_loss(
        tensor(logp), tensor(old), tensor(ref), tensor(adv), tensor(mask), beta=0.04, epsilon=0.2
    )
    d = ref.astype("float64") - logp
    k3 = np.exp(d) - d - 1
    assert float(metrics["kl"]) == pytest.approx((k3 * mask).sum() / mask.sum(), rel=1e-5)


@pytest.mark.parametrize("loss_type", ["grpo", "bnpo", "dr_grpo", "dapo"])
def test_masked_tokens_contribute_nothing(loss_type):
    logp, old, ref, adv, mask = random_batch(seed=6)
    common = dict(beta=0.04, epsilon=0.2, loss_type=loss_type, max_completion_length=5, num_items_in_batch=30)
    x = tensor(logp, stop_gradient=False)
    loss, metrics = grpo_loss(x, tensor(old), tensor(ref), tensor(adv), tensor(mask), **common)
    loss.backward()
    # Garbage on the padding: log-probs of +5 against old/ref of −20 give ratios of e^25 and a k3 of e^25.
    pad = mask == 0
    garbage = [np.where(pad, v, a).astype("float32") for a, v in ((logp, 5.0), (old, -20.0), (ref, -20.0))]
    y = tensor(garbage[0], stop_gradient=False)
    loss_g, metrics_g = grpo_loss(
        y, tensor(garbage[1]), tensor(garbage[2]), tensor(adv), tensor(mask), **common
    )
    loss_g.backward()
    assert float(loss_g) == float(loss)
    assert {k: float(v) for k, v in metrics_g.items()} == {k: float(v) for k, v in metrics.items()}
    np.testing.assert_array_equal(y.grad.numpy(), x.grad.numpy())
    assert (y.grad.numpy()[pad] == 0).all()


def test_dapo_over_micro_batches_is_the_token_mean_of_the_step():
    # Two accumulation micro-batches with the step's token count sum to bnpo over the whole step; dr_grpo's
    # micro-batch losses average to the whole step's.
    logp, old, ref, adv, mask = random_batch(seed=8, n=8)
    args = [tensor(a) for a in (logp, old, ref, adv, mask)]
    halves = [[a[:4] for a in args], [a[4:] for a in args]]
    common = dict(beta=0.04, epsilon=0.2, epsilon_high=0.28)
    whole, _ = grpo_loss(*args, loss_type="bnpo", **common)
    dapo = [grpo_loss(*h, loss_type="dapo", num_items_in_batch=int(mask.sum()), **common)[0] for h in halves]
    assert float(dapo[0] + dapo[1]) == pytest.approx(float(whole), rel=1e-5)
    whole, _ = grpo_loss(*args, loss_type="dr_grpo", max_completion_length=9, **common)
    dr = [grpo_loss(*h, loss_type="dr_grpo", max_completion_length=9, **common)[0] for h in halves]
    assert float((dr[0] + dr[1]) / 2) == pytest.approx(float(whole), rel=1e-5)


# ---------------------------------------------------------------- registry and errors


def test_registry_lists_the_modes_and_rejects_duplicates_and_unknowns():
    assert sorted(LOSS_TYPES) == ["bnpo", "cispo", "dapo", "dr_grpo", "grpo", "sapo"]
    with pytest.raises(
        ValueError, match="'grpo' is already registered; registered: bnpo, cispo, dapo, dr_grpo, grpo, sapo"
    ):
        register_loss_aggregation("grpo")(lambda masked_loss, mask, **_: masked_loss.sum())
    with pytest.raises(
        ValueError, match="unknown loss_type 'gspo'; registered: bnpo, cispo, dapo, dr_grpo, grpo, sapo"
    ):
        get_loss_aggregation("gspo")
    with pytest.raises(ValueError, match="unknown loss_type 'gspo'"):
        grpo_loss(
            tensor([[0.0]]), None, None, tensor([1.0]), tensor([[1]]), beta=0.0, epsilon=0.2, loss_type="gspo"
        )
    with pytest.raises(ValueError, match="non-empty string"):
        register_loss_aggregation("")(lambda masked_loss, mask, **_: masked_loss.sum())


def test_registering_a_new_mode():
    name = "seq_sum_test"
    try:

        @register_loss_aggregation(name)
        def seq_sum(masked_loss, mask, **_):
            return masked_loss.sum(axis=-1).mean()

        assert name in LOSS_TYPES and get_loss_aggregation(name) is seq_sum
        per_token = tensor([[1.0, 2.0], [3.0, 9.0]])
        assert float(aggregate(per_token, tensor([[1, 1], [1, 0]]), name)) == pytest.approx(3.0)
    finally:
        grpo_loss_module._AGGREGATIONS.pop(name, None)


def test_argument_errors():
    one = dict(logp=tensor([[0.0]]), old_logp=None, advantages=tensor([1.0]), mask=tensor([[1]]))
    with pytest.raises(ValueError, match="ref_logp is None"):
        grpo_loss(ref_logp=None, beta=0.04, epsilon=0.2, **one)
    with pytest.raises(ValueError, match="beta=0 ignores ref_logp"):
        grpo_loss(ref_logp=tensor([[0.0]]), beta=0.0, epsilon=0.2, **one)
    with pytest.raises(ValueError, match="beta must be >= 0"):
        grpo_loss(ref_logp=tensor([[0.0]]), beta=-0.1, epsilon=0.2, **one)
    with pytest.raises(ValueError, match="epsilon must be in"):
        grpo_loss(ref_logp=None, beta=0.0, epsilon=1.0, **one)
    with pytest.raises(ValueError, match="epsilon_high must be >= 0"):
        grpo_loss(ref_logp=None, beta=0.0, epsilon=0.2, epsilon_high=-0.1, **one)
    with pytest.raises(ValueError, match="pass it"):
        grpo_loss(ref_logp=None, beta=0.0, epsilon=0.2, loss_type="dr_grpo", **one)
    with pytest.raises(ValueError, match="more than max_completion_length=1"):
        aggregate(tensor([[0.0, 1.0]]), tensor([[1, 1]]), "dr_grpo", max_completion_length=1)
    with pytest.raises(ValueError, match="mask has shape"):
        aggregate(tensor([[0.0, 1.0]]), tensor([[1]]), "grpo")
    with pytest.raises(ValueError, match="advantages have shape"):
        clipped_surrogate(tensor([[0.0, 1.0]]), None, tensor([1.0, 2.0]), 0.2)


@pytest.mark.parametrize("loss_type", ["grpo", "bnpo", "dr_grpo", "dapo"])
def test_entropy_bonus_subtracts_coef_times_the_aggregated_entropy(loss_type):
    logp, old, _, adv, mask = random_batch(seed=6)
    entropy = np.random.default_rng(6).uniform(0.1, 3.0, size=logp.shape).astype("float32")
    kwargs = dict(beta=0.0, epsilon=0.2, loss_type=loss_type, max_completion_length=logp.shape[1])
    base, _ = grpo_loss(tensor(logp), tensor(old), None, tensor(adv), tensor(mask), **kwargs)
    h = tensor(entropy)
    h.stop_gradient = False
    bonus, metrics = grpo_loss(
        tensor(logp), tensor(old), None, tensor(adv), tensor(mask), entropy=h, entropy_coef=0.01, **kwargs
    )
    # The same aggregation applied to the entropy alone: the loss of zero surrogate and entropy H.
    only_h, _ = grpo_loss(
        tensor(logp), tensor(logp), None, tensor(np.zeros_like(adv)), tensor(mask), **kwargs,
        entropy=tensor(entropy), entropy_coef=1.0,
    )  # fmt: skip
    assert float(bonus) == pytest.approx(float(base) + 0.01 * float(only_h), rel=1e-5, abs=1e-7)
    assert float(metrics["entropy"]) == pytest.approx((entropy * mask).sum() / mask.sum(), rel=1e-5)
    bonus.backward()
    grad = h.grad.numpy()
    assert (grad[mask == 0] == 0).all() and (grad[mask == 1] < 0).all()  # more entropy, lower loss


def test_entropy_bonus_needs_the_entropy():
    logp, old, _, adv, mask = random_batch(seed=7)
    with pytest.raises(ValueError, match="entropy_coef"):
        grpo_loss(
            tensor(logp),
            tensor(old),
            None,
            tensor(adv),
            tensor(mask),
            beta=0.0,
            epsilon=0.2,
            entropy_coef=0.1,
        )
