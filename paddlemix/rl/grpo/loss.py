"""The GRPO loss: a per-token policy objective plus a KL penalty, aggregated over tokens by `loss_type`.

Shapes: n completions (prompts × G), T completion tokens (right-padded); `mask` (n, T) is 1 on the tokens
that count (through the first eos) and 0 on padding. The math is float32, and the gradient flows only
through the current policy's log-probs `logp`.

    ratio     = exp(logp − old_logp)
    surrogate = −min(ratio·A, clip(ratio, 1 − ε, 1 + ε_high)·A)
    k3        = exp(ref − logp) − (ref − logp) − 1
    per_token = surrogate + β·KL, KL one of `KL_ESTIMATORS` (default k3)

That surrogate is the "clip" objective at token level; `importance_sampling_level` (GSPO), `delta`, and the
cispo / sapo loss types swap in the others of `objectives.py` (trl's `_compute_loss`, exposed as
`per_token_policy_loss`).

With μ = 1 (one update per rollout) `old_logp` is `logp.detach()`, so ratio = 1 and the clip never binds;
with μ > 1 it holds the log-probs stored at rollout time.

The aggregations (`loss_type`), a registry (`@register_loss_aggregation(name, normaliser=...)`):

    grpo     mean over sequences of each sequence's token mean (the GRPO paper; trl's default)
    bnpo     token mean over the micro-batch
    dr_grpo  sum / (n · max_completion_length): a constant divisor, so no length bias (Dr. GRPO)
    dapo     sum / num_items_in_batch, the completion-token count of the whole optimizer step (DAPO)
    cispo    dapo's aggregation of the cispo objective (trl's pairing)
    sapo     grpo's aggregation of the sapo objective (trl's pairing)

A trainer computes the loss in pieces (one piece per backward: a prompt's group of completions) over
accumulation micro-steps and ranks, and data-parallel training *averages* gradients over ranks. Each
aggregation therefore declares its normaliser: the weight that makes the pieces sum (and the ranks average)
to the loss of the whole batch it is defined over. `LossCounts` holds the sizes a normaliser may use.

    normaliser                 weight of a piece                                  used by
    per_completion             piece completions · world / step completions       grpo, dr_grpo
    per_token_of_step          1 (the aggregation divides by num_items_in_batch)  dapo
    per_token_of_micro_batch   piece tokens / micro-batch tokens / accumulation   bnpo
    per_piece_of_micro_batch   1 / micro-batch pieces / accumulation              the default

grpo and dr_grpo are means over the step's global completions and dapo over its global tokens, so how the
batch is split over ranks and micro-steps does not change the gradient (a 2-process run equals a 1-process
run). bnpo, and by default a newly registered aggregation, is a mean over the micro-batch (one rank's pieces
of one micro-step), averaged over micro-steps and ranks, as in trl. For dapo the trainer passes
`num_items_in_batch = step tokens / world` (trl's `num_items_in_batch / num_processes`), so that after the
average over ranks the gradient is exactly (sum over all tokens) / (global token count).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import paddle

from paddlemix.rl.grpo.objectives import (
    IMPORTANCE_SAMPLING_LEVELS,
    ObjectiveOptions,
    get_policy_objective,
    importance_weights,
)

AggregationFn = Callable[..., paddle.Tensor]


@dataclass(frozen=True)
class LossCounts:
    """The sizes a piece of the loss is normalised against (see the module docstring)."""

    completions: int  # in this piece
    tokens: int  # completion tokens of this piece that count (mask)
    micro_pieces: int  # pieces of this rank's micro-batch
    micro_tokens: int  # tokens of this rank's micro-batch
    step_completions: int  # completions of the optimizer step, every rank and micro-step
    step_tokens: float  # tokens of the optimizer step, every rank and micro-step
    world: int  # ranks that average their gradients
    accumulation: int  # micro-steps per optimizer step

    @property
    def num_items_in_batch(self) -> float:
        """What a per-token-of-step aggregation divides by on each rank: the step's tokens / world."""
        return self.step_tokens / self.world


Normaliser = Callable[[LossCounts], float]


def per_completion(c: LossCounts) -> float:
    """A piece's mean over its completions becomes its share of the mean over the step's completions."""
    return c.completions * c.world / c.step_completions


def per_token_of_step(c: LossCounts) -> float:
    """The aggregation already divides by the step's tokens (`num_items_in_batch`): pieces just add up."""
    return 1.0


def per_token_of_micro_batch(c: LossCounts) -> float:
    """A piece's token mean becomes its share of the micro-batch's token mean, averaged over micro-steps."""
    return c.tokens / max(1, c.micro_tokens) / c.accumulation


def per_piece_of_micro_batch(c: LossCounts) -> float:
    """Pieces are averaged within the micro-batch, then over micro-steps."""
    return 1.0 / c.micro_pieces / c.accumulation


@dataclass(frozen=True)
class Aggregation:
    """A registered loss aggregation: how a piece's per-token losses reduce, and how pieces are weighted."""

    fn: AggregationFn
    normaliser: Normaliser
    objective: str = "clip"  # the per-token policy objective (objectives.py) this loss_type uses


_AGGREGATIONS: dict[str, Aggregation] = {}

# A live view: names registered later (e.g. by a user's module) show up here too.
LOSS_TYPES = _AGGREGATIONS.keys()


def register_loss_aggregation(
    name: str,
    fn: AggregationFn | None = None,
    *,
    normaliser: Normaliser = per_piece_of_micro_batch,
    objective: str = "clip",
):
    """Register `fn(masked_loss, mask, *, max_completion_length, num_items_in_batch) -> scalar` as `name`.

    Used as `@register_loss_aggregation(name, normaliser=...)` or bare, `register_loss_aggregation(name, fn)`.
    `masked_loss` and `mask` are float32 (n, T), and `masked_loss` is already 0 wherever `mask` is.
    `normaliser` weighs each piece of a step's loss (see the module docstring); trainers need no change.
    `objective` names the per-token policy objective (`paddlemix.rl.grpo.objectives`) the loss_type uses.
    """

    def add(f: AggregationFn) -> AggregationFn:
        if not isinstance(name, str) or not name:
            raise ValueError(f"a loss aggregation name is a non-empty string, got {name!r}")
        if name in _AGGREGATIONS:
            raise ValueError(
                f"loss aggregation {name!r} is already registered; registered: {', '.join(sorted(LOSS_TYPES))}"
            )
        get_policy_objective(objective)
        _AGGREGATIONS[name] = Aggregation(f, normaliser, objective)
        return f

    return add if fn is None else add(fn)


def get_aggregation(name: str) -> Aggregation:
    """The aggregation registered as `name` (function and normaliser); an error listing the registered names otherwise."""
    if name not in _AGGREGATIONS:
        raise ValueError(f"unknown loss_type {name!r}; registered: {', '.join(sorted(LOSS_TYPES))}")
    return _AGGREGATIONS[name]


def get_loss_aggregation(name: str) -> AggregationFn:
    """The aggregation function registered as `name`; an error listing the registered names otherwise."""
    return get_aggregation(name).fn


def loss_weight(loss_type: str, counts: LossCounts) -> float:
    """The factor on a piece's loss that its aggregation's normaliser gives, for these counts."""
    return get_aggregation(loss_type).normaliser(counts)


@register_loss_aggregation("grpo", normaliser=per_completion)
def _grpo(masked_loss, mask, **_):
    """Mean over sequences of per-sequence token means; an empty sequence counts as 0, as in trl."""
    return (masked_loss.sum(axis=-1) / paddle.clip(mask.sum(axis=-1), min=1.0)).mean()


@register_loss_aggregation("bnpo", normaliser=per_token_of_micro_batch)
def _bnpo(masked_loss, mask, **_):
    """Token mean over the micro-batch."""
    return masked_loss.sum() / paddle.clip(mask.sum(), min=1.0)


@register_loss_aggregation("dr_grpo", normaliser=per_completion)
def _dr_grpo(masked_loss, mask, *, max_completion_length=None, **_):
    """Sum / (n · max_completion_length)."""
    if max_completion_length is None:
        raise ValueError("loss_type 'dr_grpo' divides by max_completion_length; pass it")
    if int(max_completion_length) < masked_loss.shape[1]:
        raise ValueError(
            f"completions are {masked_loss.shape[1]} tokens wide, more than "
            f"max_completion_length={max_completion_length}"
        )
    return masked_loss.sum() / (masked_loss.shape[0] * int(max_completion_length))


@register_loss_aggregation("dapo", normaliser=per_token_of_step)
def _dapo(masked_loss, mask, *, num_items_in_batch=None, **_):
    """Sum / the optimizer step's token count (`num_items_in_batch`; this micro-batch's own when None)."""
    if num_items_in_batch is None:
        count = mask.sum()
    elif isinstance(num_items_in_batch, paddle.Tensor):
        count = num_items_in_batch.astype("float32")
    else:
        count = paddle.to_tensor(float(num_items_in_batch), dtype="float32")
    return masked_loss.sum() / paddle.clip(count, min=1.0)


# trl's pairings: CISPO sums over the step's tokens like dapo, SAPO averages per sequence like grpo.
register_loss_aggregation("cispo", _dapo, normaliser=per_token_of_step, objective="cispo")
register_loss_aggregation("sapo", _grpo, normaliser=per_completion, objective="sapo")


def _float_mask(mask: paddle.Tensor, like: paddle.Tensor) -> paddle.Tensor:
    """The mask as float32 after checking it has the (n, T) shape of `like`."""
    if list(mask.shape) != list(like.shape):
        raise ValueError(f"mask has shape {list(mask.shape)}, the per-token values {list(like.shape)}")
    return mask.astype("float32")


def _masked_mean(values: paddle.Tensor, mask: paddle.Tensor) -> paddle.Tensor:
    """Mean of `values` (n, T) over the tokens where the float `mask` is 1 (0 when there are none)."""
    kept = paddle.where(mask > 0, values.astype("float32"), paddle.zeros_like(mask))
    return kept.sum() / paddle.clip(mask.sum(), min=1.0)


def aggregate(
    per_token: paddle.Tensor,
    mask: paddle.Tensor,
    loss_type: str,
    max_completion_length: int | None = None,
    num_items_in_batch=None,
) -> paddle.Tensor:
    """Reduce the per-token loss (n, T) over the tokens of `mask` (n, T) to a scalar, by `loss_type`.

    `max_completion_length` is used by dr_grpo and `num_items_in_batch` (an int or a 0-d tensor) by dapo;
    the other modes ignore them, so a trainer can always pass both.
    """
    fn = get_loss_aggregation(loss_type)
    mask = _float_mask(mask, per_token)
    # `where`, not a product: a non-finite value on a padding token must not leak in as 0·inf = NaN.
    masked = paddle.where(mask > 0, per_token.astype("float32"), paddle.zeros_like(mask))
    return fn(
        masked, mask, max_completion_length=max_completion_length, num_items_in_batch=num_items_in_batch
    )


def k3_kl(logp: paddle.Tensor, ref_logp: paddle.Tensor) -> paddle.Tensor:
    """Schulman's k3 estimator of KL(π‖π_ref) per token, (n, T): exp(ref − logp) − (ref − logp) − 1 ≥ 0."""
    delta = ref_logp.astype("float32") - logp.astype("float32")
    return paddle.exp(delta) - delta - 1.0


def k1_kl(logp: paddle.Tensor, ref_logp: paddle.Tensor) -> paddle.Tensor:
    """The k1 estimator per token, (n, T): logp − ref, unbiased but signed and high-variance."""
    return logp.astype("float32") - ref_logp.astype("float32")


def low_var_kl(logp: paddle.Tensor, ref_logp: paddle.Tensor) -> paddle.Tensor:
    """k3 clamped to [-10, 10] per token, (n, T): verl's (and Affordance-R1's) `low_var_kl`, safe in bf16."""
    return paddle.clip(k3_kl(logp, ref_logp), min=-10.0, max=10.0)


# --kl_estimator name -> per-token KL(π‖π_ref) estimate from the sampled tokens' log-probs.
KL_ESTIMATORS = {"k1": k1_kl, "k3": k3_kl, "low_var_kl": low_var_kl}


def clipped_surrogate(
    logp: paddle.Tensor,
    old_logp: paddle.Tensor | None,
    advantages: paddle.Tensor,
    epsilon: float,
    epsilon_high: float | None = None,
) -> tuple[paddle.Tensor, paddle.Tensor]:
    """PPO's clipped loss per token, (n, T), and where the clip binds, (n, T) bool.

    logp, old_logp: (n, T) log-probs of the completion tokens under the current and the rollout policy;
    `old_logp=None` means `logp.detach()` (μ = 1). advantages: (n,), one per completion, or (n, T).
    The ratio is clipped to [1 − epsilon, 1 + epsilon_high]; epsilon_high defaults to epsilon (DAPO raises
    it). A token is clipped where the clipped term wins the min, i.e. ratio > 1 + ε_high with A > 0 or
    ratio < 1 − ε with A < 0: exactly the tokens that get no gradient (trl's "region" clip ratio).
    """
    return policy_terms(
        "grpo",
        logp,
        old_logp,
        advantages,
        paddle.ones(logp.shape),
        epsilon=epsilon,
        epsilon_high=epsilon_high,
    )


def _per_token_advantages(advantages: paddle.Tensor, logp: paddle.Tensor) -> paddle.Tensor:
    """Advantages (n,) or (n, T), detached float32, shaped to broadcast against logp (n, T)."""
    advantages = advantages.detach().astype("float32")
    n = logp.shape[0]
    if advantages.ndim == 1 and advantages.shape[0] == n:
        return advantages.unsqueeze(-1)
    if list(advantages.shape) == list(logp.shape):
        return advantages
    raise ValueError(f"advantages have shape {list(advantages.shape)}; expected ({n},) or {list(logp.shape)}")


def policy_terms(
    loss_type: str,
    logp: paddle.Tensor,
    old_logp: paddle.Tensor | None,
    advantages: paddle.Tensor,
    mask: paddle.Tensor,
    *,
    importance_sampling_level: str = "token",
    **options,
) -> tuple[paddle.Tensor, paddle.Tensor]:
    """The per-token policy loss (n, T) of `loss_type`'s objective, and where its clip binds, (n, T) bool.

    Shapes as `per_token_policy_loss`; `options` are the fields of `ObjectiveOptions`.
    """
    objective = get_policy_objective(get_aggregation(loss_type).objective)
    opts = ObjectiveOptions(**options)
    if not 0.0 <= opts.epsilon < 1.0:
        raise ValueError(
            f"epsilon must be in [0, 1) so that the ratio's lower bound 1 - epsilon > 0, got {opts.epsilon}"
        )
    if opts.high < 0.0:
        raise ValueError(f"epsilon_high must be >= 0, got {opts.high}")
    if importance_sampling_level not in IMPORTANCE_SAMPLING_LEVELS:
        raise ValueError(
            f"unknown importance_sampling_level {importance_sampling_level!r}; "
            f"known: {', '.join(IMPORTANCE_SAMPLING_LEVELS)}"
        )
    logp = logp.astype("float32")
    old_logp = logp.detach() if old_logp is None else old_logp.detach().astype("float32")
    if list(old_logp.shape) != list(logp.shape):
        raise ValueError(f"old_logp has shape {list(old_logp.shape)}, logp {list(logp.shape)}")
    float_mask = _float_mask(mask, logp)
    adv = _per_token_advantages(advantages, logp)
    weight = importance_weights(logp, old_logp, float_mask, importance_sampling_level)
    loss, clipped = objective(weight, adv, logp, opts)
    return loss.expand(logp.shape), clipped.expand(logp.shape)


def per_token_policy_loss(
    loss_type: str,
    logp: paddle.Tensor,
    old_logp: paddle.Tensor | None,
    advantages: paddle.Tensor,
    mask: paddle.Tensor,
    **options,
) -> paddle.Tensor:
    """trl's `per_token_loss` of `_compute_loss` (before KL and aggregation), (n, T) float32.

    logp: (n, T) current log-probs (the gradient flows through them); old_logp: (n, T), or None for
    `logp.detach()`; advantages: (n,) or (n, T); mask: (n, T), used by the sequence-level weights.
    options: `importance_sampling_level` (token | sequence | gspo_token), `epsilon`, `epsilon_high`, `delta`,
    `sapo_temperature_pos`, `sapo_temperature_neg`. A sequence-level loss is broadcast over its row, where
    trl keeps it (n, 1). For example, in a notebook:

        per_token_policy_loss("sapo", logp, old_logp, adv, mask, sapo_temperature_neg=1.05)
    """
    return policy_terms(loss_type, logp, old_logp, advantages, mask, **options)[0]


def grpo_loss(
    logp: paddle.Tensor,
    old_logp: paddle.Tensor | None,
    ref_logp: paddle.Tensor | None,
    advantages: paddle.Tensor,
    mask: paddle.Tensor,
    *,
    beta: float,
    epsilon: float,
    epsilon_high: float | None = None,
    loss_type: str = "grpo",
    max_completion_length: int | None = None,
    num_items_in_batch=None,
    kl_estimator: str = "k3",
    entropy: paddle.Tensor | None = None,
    entropy_coef: float = 0.0,
    importance_sampling_level: str = "token",
    delta: float | None = None,
    sapo_temperature_pos: float = 1.0,
    sapo_temperature_neg: float = 1.05,
    policy_mask: paddle.Tensor | None = None,
) -> tuple[paddle.Tensor, dict[str, paddle.Tensor]]:
    """The scalar GRPO loss of a micro-batch and its metrics; see the module docstring for the formula.

    logp: (n, T) current log-probs, the only input the gradient flows through. old_logp: (n, T), or None
    for μ = 1. ref_logp: (n, T) under the frozen reference; None exactly when beta == 0. advantages: (n,).
    mask: (n, T). kl_estimator: a name of `KL_ESTIMATORS`. policy_mask: (n, T) bool, the tokens whose policy
    term counts (top_entropy_quantile; as trl, the KL and the aggregation's token count still use `mask`).
    importance_sampling_level, delta and the sapo temperatures: see `per_token_policy_loss`. Metrics are detached 0-d float32 tensors, token means over this micro-batch: `kl` (only
    when beta > 0), `clip_ratio`, and its split `clip_ratio_low` (A < 0) and `clip_ratio_high` (A > 0).
    """
    if beta < 0:
        raise ValueError(f"beta must be >= 0, got {beta}")
    if beta > 0 and ref_logp is None:
        raise ValueError(f"beta={beta} weighs a KL to the reference model, but ref_logp is None")
    if beta == 0 and ref_logp is not None:
        raise ValueError("beta=0 ignores ref_logp; pass None (and build no reference model)")
    get_loss_aggregation(loss_type)
    float_mask = _float_mask(mask, logp)
    per_token, is_clipped = policy_terms(
        loss_type,
        logp,
        old_logp,
        advantages,
        mask,
        importance_sampling_level=importance_sampling_level,
        epsilon=epsilon,
        epsilon_high=epsilon_high,
        delta=delta,
        sapo_temperature_pos=sapo_temperature_pos,
        sapo_temperature_neg=sapo_temperature_neg,
    )
    if policy_mask is not None:
        kept = _float_mask(policy_mask, logp)
        per_token = per_token * kept
        is_clipped = paddle.logical_and(is_clipped, kept > 0)
    metrics = {}
    if beta > 0:
        if list(ref_logp.shape) != list(logp.shape):
            raise ValueError(f"ref_logp has shape {list(ref_logp.shape)}, logp {list(logp.shape)}")
        if kl_estimator not in KL_ESTIMATORS:
            raise ValueError(f"unknown kl_estimator {kl_estimator!r}; known: {', '.join(KL_ESTIMATORS)}")
        kl = KL_ESTIMATORS[kl_estimator](logp, ref_logp.detach())
        per_token = per_token + beta * kl
        metrics["kl"] = _masked_mean(kl.detach(), float_mask)
    if entropy_coef:
        if entropy is None:
            raise ValueError(f"entropy_coef={entropy_coef} needs the per-token entropy")
        # An entropy bonus (veRL's entropy_coeff, Affordance-R1's recipe): higher entropy lowers the loss.
        per_token = per_token - entropy_coef * entropy
    if entropy is not None:
        metrics["entropy"] = _masked_mean(entropy.detach(), float_mask)
    loss = aggregate(per_token, float_mask, loss_type, max_completion_length, num_items_in_batch)
    adv = _per_token_advantages(advantages, logp).expand_as(per_token)
    metrics["clip_ratio"] = _masked_mean(is_clipped, float_mask)
    metrics["clip_ratio_low"] = _masked_mean(paddle.logical_and(is_clipped, adv < 0), float_mask)
    metrics["clip_ratio_high"] = _masked_mean(paddle.logical_and(is_clipped, adv > 0), float_mask)
    return loss, metrics
