"""The policy objectives (GSPO, gspo_token, CISPO, SAPO, delta) and the token masks: naive loops, and trl itself.

The trl test calls `trl.GRPOTrainer._compute_loss` on a stand-in trainer whose forward returns our log-probs,
and reads its local `per_token_loss` as the function returns (β = 0, so it is the policy term alone).
"""

from __future__ import annotations

import math
import sys
from collections import defaultdict
from types import SimpleNamespace

import numpy as np
import paddle
import pytest

from paddlemix.rl.grpo.loss import grpo_loss, per_token_policy_loss
from paddlemix.rl.grpo.objectives import register_policy_objective
from paddlemix.rl.grpo.token_masks import high_entropy_mask, truncated_rows


def batch(seed=0, n=4, t=5):
    """Random log-probs, old log-probs off by up to ±0.6 (so clips bind), advantages of both signs, a ragged mask."""
    rng = np.random.default_rng(seed)
    logp = rng.uniform(-3.0, -0.1, size=(n, t)).astype("float32")
    old = (logp + rng.uniform(-0.6, 0.6, size=(n, t))).astype("float32")
    adv = rng.normal(size=n).astype("float32")
    mask = np.ones((n, t), dtype="float32")
    mask[1, 3:] = 0
    mask[2, 1:] = 0
    return logp, old, adv, mask


def sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


def naive(
    loss_type,
    logp,
    old,
    adv,
    mask,
    level="token",
    epsilon=0.2,
    epsilon_high=None,
    delta=None,
    tp=1.0,
    tn=1.05,
):
    """The per-token loss value, one token at a time, from the papers' formulas."""
    hi = epsilon if epsilon_high is None else epsilon_high
    n, t = logp.shape
    out = np.zeros((n, t))
    for i in range(n):
        count = max(sum(mask[i]), 1.0)
        seq = sum((logp[i, j] - old[i, j]) * mask[i, j] for j in range(t)) / count
        for j in range(t):
            w = math.exp(logp[i, j] - old[i, j]) if level == "token" else math.exp(seq)
            a = adv[i]
            if loss_type == "cispo":
                out[i, j] = -min(w, hi) * a * logp[i, j]
            elif loss_type == "sapo":
                tau = tp if a > 0 else tn
                out[i, j] = -sigmoid(tau * (w - 1)) * 4 / tau * a
            else:
                unclipped = min(w, delta) if delta is not None else w
                out[i, j] = -min(unclipped * a, min(max(w, 1 - epsilon), 1 + hi) * a)
    return out


CASES = [
    ("grpo", {}),
    ("dapo", {"epsilon_high": 0.28}),
    ("grpo", {"importance_sampling_level": "sequence"}),
    ("grpo", {"importance_sampling_level": "gspo_token", "epsilon_high": 0.28}),
    ("bnpo", {"delta": 1.2}),
    ("cispo", {"epsilon_high": 1.1}),
    ("cispo", {"epsilon_high": 5.0, "importance_sampling_level": "sequence"}),
    ("sapo", {}),
    ("sapo", {"sapo_temperature_pos": 2.0, "sapo_temperature_neg": 0.5}),
]


@pytest.mark.parametrize("loss_type, options", CASES)
def test_per_token_loss_against_a_naive_loop(loss_type, options):
    logp, old, adv, mask = batch()
    got = per_token_policy_loss(
        loss_type,
        paddle.to_tensor(logp),
        paddle.to_tensor(old),
        paddle.to_tensor(adv),
        paddle.to_tensor(mask),
        **options,
    )
    kw = dict(options)
    level = kw.pop("importance_sampling_level", "token")
    level = "sequence" if level == "gspo_token" else level  # the same value; only the gradient differs
    tp, tn = kw.pop("sapo_temperature_pos", 1.0), kw.pop("sapo_temperature_neg", 1.05)
    want = naive(loss_type, logp, old, adv, mask, level, tp=tp, tn=tn, **kw)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)


def test_sequence_and_gspo_token_gradients_by_hand():
    logp, old, adv, mask = batch(seed=1)
    for level in ("sequence", "gspo_token"):
        lp = paddle.to_tensor(logp, stop_gradient=False)
        loss = per_token_policy_loss(
            "grpo",
            lp,
            paddle.to_tensor(old),
            paddle.to_tensor(adv),
            paddle.to_tensor(mask),
            importance_sampling_level=level,
            epsilon=0.2,
        )
        (loss * paddle.to_tensor(mask)).sum().backward()
        grad = lp.grad.numpy()
        for i in range(len(adv)):
            count = mask[i].sum()
            w = math.exp(((logp[i] - old[i]) * mask[i]).sum() / count)
            clipped = (w > 1.2 and adv[i] > 0) or (w < 0.8 and adv[i] < 0)
            for j in range(logp.shape[1]):
                g = 0.0 if clipped else -w * adv[i]
                # GSPO: the row's summed loss (count copies of one value) moves through the mean log-ratio,
                # so each counted token gets g; gspo_token: each counted token gets g directly; the same here.
                # Padding gets nothing under gspo_token and the sequence mean ignores it too.
                want = g * mask[i, j]
                assert grad[i, j] == pytest.approx(want, rel=1e-4, abs=1e-6), (level, i, j)


def test_gspo_token_weights_tokens_unlike_sequence_under_token_aggregation():
    # Under dapo (a token sum), GSPO's gradient is spread over a row's tokens (w·A/len each, times len
    # copies) while gspo_token gives w·A to each; under grpo they coincide (previous test).
    logp, old, adv, mask = batch(seed=2)
    grads = {}
    for level in ("sequence", "gspo_token"):
        lp = paddle.to_tensor(logp, stop_gradient=False)
        loss, _ = grpo_loss(
            lp,
            paddle.to_tensor(old),
            None,
            paddle.to_tensor(adv),
            paddle.to_tensor(mask),
            beta=0.0,
            epsilon=0.2,
            loss_type="dapo",
            num_items_in_batch=1.0,
            importance_sampling_level=level,
        )
        loss.backward()
        grads[level] = lp.grad.numpy()
    np.testing.assert_allclose(grads["sequence"], grads["gspo_token"], rtol=1e-5, atol=1e-6)
    lp = paddle.to_tensor(logp, stop_gradient=False)
    loss, _ = grpo_loss(
        lp,
        paddle.to_tensor(old),
        None,
        paddle.to_tensor(adv),
        paddle.to_tensor(mask),
        beta=0.0,
        epsilon=0.2,
        loss_type="grpo",
        importance_sampling_level="gspo_token",
    )
    loss.backward()
    seq_grad = lp.grad.numpy()
    row = 0  # four tokens: grpo's per-row mean divides dapo's sum gradient by the row's token count, over n rows
    np.testing.assert_allclose(
        seq_grad[row], grads["gspo_token"][row] / mask[row].sum() / len(adv), rtol=1e-5, atol=1e-7
    )


def test_cispo_gradient_is_the_detached_weight_times_advantage():
    logp, old, adv, mask = batch(seed=3)
    lp = paddle.to_tensor(logp, stop_gradient=False)
    per_token_policy_loss(
        "cispo", lp, paddle.to_tensor(old), paddle.to_tensor(adv), paddle.to_tensor(mask), epsilon_high=1.1
    ).sum().backward()
    want = -np.minimum(np.exp(logp - old), 1.1) * adv[:, None]
    np.testing.assert_allclose(lp.grad.numpy(), want, rtol=1e-5)


def test_policy_mask_drops_the_policy_term_only():
    logp, old, adv, mask = batch(seed=4)
    ref = logp - 0.3
    keep = np.zeros_like(mask)
    keep[0, :2] = 1
    args = [paddle.to_tensor(x) for x in (logp, old, ref, adv, mask)]
    loss, _ = grpo_loss(
        *args, beta=0.1, epsilon=0.2, loss_type="bnpo", policy_mask=paddle.to_tensor(keep) > 0
    )
    policy = naive("bnpo", logp, old, adv, mask) * keep
    kl = np.exp(ref - logp) - (ref - logp) - 1
    want = ((policy + 0.1 * kl) * mask).sum() / mask.sum()
    assert float(loss) == pytest.approx(want, rel=1e-5)


def test_registry_rejects_duplicate_and_unknown_objectives():
    with pytest.raises(ValueError, match="'clip' is already registered; registered: cispo, clip, sapo"):
        register_policy_objective("clip", lambda *a: None)
    from paddlemix.rl.grpo.loss import register_loss_aggregation

    with pytest.raises(ValueError, match="unknown policy objective 'nope'; registered: cispo, clip, sapo"):
        register_loss_aggregation("nope_test", lambda m, k, **_: m.sum(), objective="nope")
    with pytest.raises(ValueError, match="unknown importance_sampling_level 'seq'"):
        per_token_policy_loss(
            "grpo",
            paddle.zeros([1, 1]),
            None,
            paddle.ones([1]),
            paddle.ones([1, 1]),
            importance_sampling_level="seq",
        )


def test_high_entropy_mask_by_hand():
    ent = paddle.to_tensor([[0.1, 0.9, 0.5, 7.0], [0.3, 0.8, 0.2, 0.0]])
    mask = paddle.to_tensor([[1, 1, 1, 0], [1, 1, 1, 1]])
    # 7 counted values sorted: 0 .1 .2 .3 .5 .8 .9; the 0.8 quantile at position 4.8 is .5 + .8·.3 = .74.
    got = high_entropy_mask(ent, mask, 0.2).numpy()
    assert got.tolist() == [[False, True, False, False], [False, True, False, False]]
    assert high_entropy_mask(ent, mask, 1.0).numpy().sum() == 7  # everything under the mask
    assert high_entropy_mask(ent, mask, 0.0).numpy().sum() == 1  # the largest alone


def test_truncated_rows():
    ids = paddle.to_tensor([[5, 6, 2, 0], [5, 6, 7, 8], [2, 0, 0, 0]])
    mask = paddle.to_tensor([[1, 1, 1, 0], [1, 1, 1, 1], [1, 0, 0, 0]])
    assert truncated_rows(ids, mask, [2]).numpy().tolist() == [False, True, False]


# ---------------------------------------------------------------- against trl itself


def trl_per_token_loss(loss_type, logp, old, adv, mask, level="token", **options):
    """trl's `per_token_loss` and its gradient w.r.t. the log-probs, from `GRPOTrainer._compute_loss`."""
    torch = pytest.importorskip("torch")
    trl_grpo = pytest.importorskip("trl.trainer.grpo_trainer")
    eps_high = options.get("epsilon_high")
    lp = torch.tensor(logp, requires_grad=True)
    accelerator = SimpleNamespace(
        num_processes=1,
        gather=lambda x: x,
        reduce=lambda x, reduction="sum": x,
        sync_gradients=True,
        pad_across_processes=lambda x, dim=0, pad_index=0: x,
    )
    fake = SimpleNamespace(
        _get_per_token_logps_and_entropies=lambda *a, **k: (lp, torch.rand_like(lp), None),
        aux_loss_enabled=False,
        top_entropy_quantile=1.0,
        off_policy_mask_threshold=None,
        importance_sampling_level=level,
        beta=0.0,
        loss_type=loss_type,
        epsilon_low=options.get("epsilon", 0.2),
        epsilon_high=options.get("epsilon", 0.2) if eps_high is None else eps_high,
        use_vllm=False,
        model=SimpleNamespace(training=False),
        current_gradient_accumulation_steps=1,
        accelerator=accelerator,
        _entropy_bonus_enabled=False,
        _metrics=defaultdict(lambda: defaultdict(list)),
        max_completion_length=mask.shape[1],
        args=SimpleNamespace(
            use_bias_correction_kl=False,
            delta=options.get("delta"),
            steps_per_generation=1,
            sapo_temperature_pos=options.get("sapo_temperature_pos", 1.0),
            sapo_temperature_neg=options.get("sapo_temperature_neg", 1.05),
        ),
    )
    n = mask.shape[0]
    inputs = {
        "prompt_ids": torch.zeros((n, 1), dtype=torch.long),
        "prompt_mask": torch.ones((n, 1), dtype=torch.long),
        "completion_ids": torch.zeros(mask.shape, dtype=torch.long),
        "completion_mask": torch.tensor(mask).long(),
        "advantages": torch.tensor(adv),
        "old_per_token_logps": torch.tensor(old),
        "num_items_in_batch": torch.tensor(float(mask.sum())),
    }
    captured = {}

    def spy(frame, event, arg):
        if event == "return" and frame.f_code is trl_grpo.GRPOTrainer._compute_loss.__code__:
            captured["per_token_loss"] = frame.f_locals["per_token_loss"]

    sys.setprofile(spy)
    try:
        trl_grpo.GRPOTrainer._compute_loss(fake, None, inputs)
    finally:
        sys.setprofile(None)
    per_token = captured["per_token_loss"].expand(mask.shape)
    (per_token * torch.tensor(mask)).sum().backward()
    return per_token.detach().numpy(), lp.grad.numpy()


TRL_CASES = [
    c for c in CASES if c[1].get("importance_sampling_level") != "gspo_token"
]  # trl has no gspo_token


@pytest.mark.parametrize("loss_type, options", TRL_CASES)
def test_per_token_loss_equals_trl(loss_type, options):
    logp, old, adv, mask = batch(seed=5)
    kw = dict(options)
    level = kw.pop("importance_sampling_level", "token")
    want, want_grad = trl_per_token_loss(loss_type, logp, old, adv, mask, level, **kw)
    lp = paddle.to_tensor(logp, stop_gradient=False)
    got = per_token_policy_loss(
        loss_type, lp, paddle.to_tensor(old), paddle.to_tensor(adv), paddle.to_tensor(mask), **options
    )
    (got * paddle.to_tensor(mask)).sum().backward()
    diff = np.abs(got.numpy() - want)
    print(f"{loss_type} {options}: max |ours - trl| = {diff.max():.2e}, mean {diff.mean():.2e}")
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(lp.grad.numpy(), want_grad, rtol=1e-5, atol=1e-6)


def test_high_entropy_mask_equals_trl():
    torch = pytest.importorskip("torch")
    trl_grpo = pytest.importorskip("trl.trainer.grpo_trainer")
    rng = np.random.default_rng(7)
    ent = rng.uniform(0, 3, size=(6, 9)).astype("float32")
    mask = (rng.uniform(size=(6, 9)) > 0.3).astype("int64")
    fake = SimpleNamespace(
        accelerator=SimpleNamespace(gather=lambda x: x, pad_across_processes=lambda x, **_: x)
    )
    for q in (0.0, 0.2, 0.5, 1.0):
        want = trl_grpo.GRPOTrainer.get_high_entropy_mask(fake, torch.tensor(ent), torch.tensor(mask), 1 - q)
        got = high_entropy_mask(paddle.to_tensor(ent), paddle.to_tensor(mask), q)
        assert got.numpy().tolist() == want.numpy().tolist(), q
