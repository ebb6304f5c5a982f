"""Per-token policy objectives: the importance weight and what each objective does with it (before KL).

Shapes: n completions, T completion tokens; `mask` (n, T) is 1 on the tokens that count. The math follows
trl's `GRPOTrainer._compute_loss` (trl/trainer/grpo_trainer.py) line for line, before the KL term and the
aggregation, so `paddlemix.rl.grpo.loss.per_token_policy_loss` equals trl's `per_token_loss` on the same
inputs (tests/rl/test_objectives.py checks it against trl itself when trl is installed).

The importance weight w, by `importance_sampling_level`:

    token       w_t = exp(logp_t − old_t)                                  PPO / GRPO (one weight a token)
    sequence    w   = exp(Σ_t m_t (logp_t − old_t) / Σ_t m_t)              GSPO (one weight a sequence, (n, 1))
    gspo_token  w_t = sg[w] · exp(logp_t − sg[logp_t])                     GSPO-token (EasyR1 / verl): the value
                                                                          of w, the gradient of each token

The objectives (a registry, `@register_policy_objective(name)`), with advantage A:

    clip   −min(w·A, clip(w, 1 − ε, 1 + ε_high)·A); with `delta` the unclipped w is first capped at delta
           (INTELLECT-2's two-sided clip)                                 PPO, GRPO, DAPO, GSPO
    cispo  −sg[min(w, ε_high)]·A·logp                                     CISPO (MiniMax-M1, ScaleRL)
    sapo   −sigmoid(τ(w − 1))·4/τ·A, τ = τ_pos where A > 0, else τ_neg   SAPO (Qwen)

With μ = 1, old = sg[logp]: w = 1 and its gradient is ∇logp, so clip, sapo and the GSPO levels all give
the plain policy gradient A·∇logp (GSPO's averaged over the sequence's tokens); cispo's weight is
min(1, ε_high).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import paddle
import paddle.nn.functional as F

IMPORTANCE_SAMPLING_LEVELS = ("token", "sequence", "gspo_token")


@dataclass(frozen=True)
class ObjectiveOptions:
    """The knobs an objective may read (trl's names); each objective ignores the ones it does not use."""

    epsilon: float = 0.2
    epsilon_high: float | None = None  # default epsilon; cispo's cap on the weight itself (trl: 5.0)
    delta: float | None = None  # clip: cap on the unclipped weight
    sapo_temperature_pos: float = 1.0
    sapo_temperature_neg: float = 1.05

    @property
    def high(self) -> float:
        """ε_high, defaulting to ε."""
        return self.epsilon if self.epsilon_high is None else self.epsilon_high


# fn(weight (n, T) or (n, 1), advantages (n, 1) or (n, T), logp (n, T), options)
#   -> (per-token loss, broadcastable to (n, T); clipped tokens, bool of the same shape)
ObjectiveFn = Callable[..., tuple[paddle.Tensor, paddle.Tensor]]
_OBJECTIVES: dict[str, ObjectiveFn] = {}
POLICY_OBJECTIVES = _OBJECTIVES.keys()


def register_policy_objective(name: str, fn: ObjectiveFn | None = None):
    """Register `fn(weight, advantages, logp, options) -> (loss, clipped)` as `name` (bare or as a decorator)."""

    def add(f: ObjectiveFn) -> ObjectiveFn:
        if not isinstance(name, str) or not name:
            raise ValueError(f"a policy objective name is a non-empty string, got {name!r}")
        if name in _OBJECTIVES:
            raise ValueError(
                f"policy objective {name!r} is already registered; registered: {', '.join(sorted(_OBJECTIVES))}"
            )
        _OBJECTIVES[name] = f
        return f

    return add if fn is None else add(fn)


def get_policy_objective(name: str) -> ObjectiveFn:
    """The objective registered as `name`; an error listing the registered names otherwise."""
    if name not in _OBJECTIVES:
        raise ValueError(f"unknown policy objective {name!r}; registered: {', '.join(sorted(_OBJECTIVES))}")
    return _OBJECTIVES[name]


def importance_weights(
    logp: paddle.Tensor, old_logp: paddle.Tensor, mask: paddle.Tensor, level: str = "token"
) -> paddle.Tensor:
    """The importance weight: (n, T) for token and gspo_token, (n, 1) for sequence (module docstring).

    logp: (n, T) float32, carries the gradient; old_logp: (n, T) float32, detached; mask: (n, T) float32.
    """
    log_ratio = logp - old_logp
    if level == "token":
        return paddle.exp(log_ratio)
    if level not in IMPORTANCE_SAMPLING_LEVELS:
        raise ValueError(
            f"unknown importance_sampling_level {level!r}; known: {', '.join(IMPORTANCE_SAMPLING_LEVELS)}"
        )
    seq = (log_ratio * mask).sum(axis=-1, keepdim=True) / paddle.clip(
        mask.sum(axis=-1, keepdim=True), min=1.0
    )
    if level == "sequence":
        return paddle.exp(seq)
    return paddle.exp(seq.detach() + logp - logp.detach())


@register_policy_objective("clip")
def _clip(weight, adv, logp, opts: ObjectiveOptions):
    """PPO's clipped surrogate, with INTELLECT-2's cap `delta` on the unclipped weight."""
    clipped_weight = paddle.clip(weight, 1.0 - opts.epsilon, 1.0 + opts.high)
    if opts.delta is not None:
        weight = paddle.clip(weight, max=opts.delta)
    unclipped, clipped = weight * adv, clipped_weight * adv
    # `where` on the comparison that defines the clip, so the branch taken and the reported clip agree; on a
    # tie (every token when μ = 1) the unclipped term carries the gradient, which is then the same.
    is_clipped = clipped < unclipped
    return -paddle.where(is_clipped, clipped, unclipped), is_clipped


@register_policy_objective("cispo")
def _cispo(weight, adv, logp, opts: ObjectiveOptions):
    """CISPO: the weight capped at ε_high and detached, times A times the log-prob."""
    capped = paddle.clip(weight, max=opts.high).detach()
    return -capped * adv * logp, paddle.logical_and(weight > opts.high, adv > 0)


@register_policy_objective("sapo")
def _sapo(weight, adv, logp, opts: ObjectiveOptions):
    """SAPO's soft gate sigmoid(τ(w − 1))·4/τ in place of the hard clip; τ by the sign of A."""
    tau = paddle.where(
        adv > 0,
        paddle.full_like(adv, opts.sapo_temperature_pos),
        paddle.full_like(adv, opts.sapo_temperature_neg),
    )
    gate = F.sigmoid(tau * (weight - 1.0)) * 4.0 / tau
    return -gate * adv, paddle.zeros(gate.shape, dtype="bool")
