"""The GRPO loss: a per-token PPO clip plus a k3 KL penalty, aggregated over tokens by `loss_type`.

Shapes: n completions (prompts × G), T completion tokens (right-padded); `mask` (n, T) is 1 on the tokens
that count (through the first eos) and 0 on padding. The math is float32, and the gradient flows only
through the current policy's log-probs `logp`.

    ratio     = exp(logp − old_logp)
    surrogate = −min(ratio·A, clip(ratio, 1 − ε, 1 + ε_high)·A)
    k3        = exp(ref − logp) − (ref − logp) − 1
    per_token = surrogate + β·k3

With μ = 1 (one update per rollout) `old_logp` is `logp.detach()`, so ratio = 1 and the clip never binds;
with μ > 1 it holds the log-probs stored at rollout time.

The aggregations (`loss_type`), a registry (`@register_loss_aggregation(name)`):

    grpo     mean over sequences of each sequence's token mean (the GRPO paper; trl's default)
    bnpo     token mean over this micro-batch
    dr_grpo  sum / (n · max_completion_length): a constant divisor, so no length bias (Dr. GRPO)
    dapo     sum / num_items_in_batch, the completion-token count of the whole optimizer step (DAPO)

Accumulation and data parallelism, as in trl: grpo, bnpo and dr_grpo are micro-batch means, so the trainer
divides them by the gradient-accumulation steps. dapo's divisor already spans the optimizer step, so it is
not divided again; but data-parallel training *averages* gradients over ranks, so a rank passes
`num_items_in_batch = global token count / world size` (trl's `num_items_in_batch / num_processes`) for the
step's gradient to be exactly (sum over all tokens) / (global token count).
"""

from __future__ import annotations

from collections.abc import Callable

import paddle

# Rows of (n·T, vocab) logits turned to float32 at a time: 2^26 floats (256 MiB) is ~440 tokens of a
# 151k vocabulary, instead of a float32 copy of the whole (n, T, vocab) block.
_LOGSOFTMAX_CHUNK_ELEMENTS = 1 << 26

AggregationFn = Callable[..., paddle.Tensor]

_AGGREGATIONS: dict[str, AggregationFn] = {}

# A live view: names registered later (e.g. by a user's module) show up here too.
LOSS_TYPES = _AGGREGATIONS.keys()


def register_loss_aggregation(name: str, fn: AggregationFn | None = None):
    """Register `fn(masked_loss, mask, *, max_completion_length, num_items_in_batch) -> scalar` as `name`.

    Used as `@register_loss_aggregation(name)` or bare, `register_loss_aggregation(name, fn)`. `masked_loss`
    and `mask` are float32 (n, T), and `masked_loss` is already 0 wherever `mask` is.
    """

    def add(f: AggregationFn) -> AggregationFn:
        if not isinstance(name, str) or not name:
            raise ValueError(f"a loss aggregation name is a non-empty string, got {name!r}")
        if name in _AGGREGATIONS:
            raise ValueError(
                f"loss aggregation {name!r} is already registered; registered: {', '.join(sorted(LOSS_TYPES))}"
            )
        _AGGREGATIONS[name] = f
        return f

    return add if fn is None else add(fn)


def get_loss_aggregation(name: str) -> AggregationFn:
    """The aggregation registered as `name`; an error listing the registered names otherwise."""
    if name not in _AGGREGATIONS:
        raise ValueError(f"unknown loss_type {name!r}; registered: {', '.join(sorted(LOSS_TYPES))}")
    return _AGGREGATIONS[name]


@register_loss_aggregation("grpo")
def _grpo(masked_loss, mask, **_):
    """Mean over sequences of per-sequence token means; an empty sequence counts as 0, as in trl."""
    return (masked_loss.sum(axis=-1) / paddle.clip(mask.sum(axis=-1), min=1.0)).mean()


@register_loss_aggregation("bnpo")
def _bnpo(masked_loss, mask, **_):
    """Token mean over the micro-batch."""
    return masked_loss.sum() / paddle.clip(mask.sum(), min=1.0)


@register_loss_aggregation("dr_grpo")
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


@register_loss_aggregation("dapo")
def _dapo(masked_loss, mask, *, num_items_in_batch=None, **_):
    """Sum / the optimizer step's token count (`num_items_in_batch`; this micro-batch's own when None)."""
    if num_items_in_batch is None:
        count = mask.sum()
    elif isinstance(num_items_in_batch, paddle.Tensor):
        count = num_items_in_batch.astype("float32")
    else:
        count = paddle.to_tensor(float(num_items_in_batch), dtype="float32")
    return masked_loss.sum() / paddle.clip(count, min=1.0)


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
    epsilon_high = epsilon if epsilon_high is None else epsilon_high
    if not 0.0 <= epsilon < 1.0:
        raise ValueError(
            f"epsilon must be in [0, 1) so that the ratio's lower bound 1 - epsilon > 0, got {epsilon}"
        )
    if epsilon_high < 0.0:
        raise ValueError(f"epsilon_high must be >= 0, got {epsilon_high}")
    logp = logp.astype("float32")
    old_logp = logp.detach() if old_logp is None else old_logp.detach().astype("float32")
    if list(old_logp.shape) != list(logp.shape):
        raise ValueError(f"old_logp has shape {list(old_logp.shape)}, logp {list(logp.shape)}")
    adv = _per_token_advantages(advantages, logp)
    ratio = paddle.exp(logp - old_logp)
    unclipped = ratio * adv
    clipped = paddle.clip(ratio, 1.0 - epsilon, 1.0 + epsilon_high) * adv
    is_clipped = clipped < unclipped
    # `where` on the comparison that defines is_clipped, so the branch taken and the reported clip always
    # agree; on a tie (every token when μ = 1) the unclipped term carries the whole gradient.
    return -paddle.where(is_clipped, clipped, unclipped), is_clipped


def _per_token_advantages(advantages: paddle.Tensor, logp: paddle.Tensor) -> paddle.Tensor:
    """Advantages (n,) or (n, T), detached float32, shaped to broadcast against logp (n, T)."""
    advantages = advantages.detach().astype("float32")
    n = logp.shape[0]
    if advantages.ndim == 1 and advantages.shape[0] == n:
        return advantages.unsqueeze(-1)
    if list(advantages.shape) == list(logp.shape):
        return advantages
    raise ValueError(f"advantages have shape {list(advantages.shape)}; expected ({n},) or {list(logp.shape)}")


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
) -> tuple[paddle.Tensor, dict[str, paddle.Tensor]]:
    """The scalar GRPO loss of a micro-batch and its metrics; see the module docstring for the formula.

    logp: (n, T) current log-probs, the only input the gradient flows through. old_logp: (n, T), or None
    for μ = 1. ref_logp: (n, T) under the frozen reference; None exactly when beta == 0. advantages: (n,).
    mask: (n, T). Metrics are detached 0-d float32 tensors, token means over this micro-batch: `kl` (only
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
    per_token, is_clipped = clipped_surrogate(logp, old_logp, advantages, epsilon, epsilon_high)
    metrics = {}
    if beta > 0:
        if list(ref_logp.shape) != list(logp.shape):
            raise ValueError(f"ref_logp has shape {list(ref_logp.shape)}, logp {list(logp.shape)}")
        kl = k3_kl(logp, ref_logp.detach())
        per_token = per_token + beta * kl
        metrics["kl"] = _masked_mean(kl.detach(), float_mask)
    loss = aggregate(per_token, float_mask, loss_type, max_completion_length, num_items_in_batch)
    adv = _per_token_advantages(advantages, logp).expand_as(per_token)
    metrics["clip_ratio"] = _masked_mean(is_clipped, float_mask)
    metrics["clip_ratio_low"] = _masked_mean(paddle.logical_and(is_clipped, adv < 0), float_mask)
    metrics["clip_ratio_high"] = _masked_mean(paddle.logical_and(is_clipped, adv > 0), float_mask)
    return loss, metrics


def sequence_token_logprobs(
    logits: paddle.Tensor, tokens: paddle.Tensor, temperature: float = 1.0
) -> paddle.Tensor:
    """log_softmax(logits / temperature) (n, T, vocab) taken at `tokens` (n, T): float32 (n, T).

    The same distribution whose log-probs generation returns (before top-k/top-p), so that policy, old and
    reference log-probs agree with the rollout's. Computed as the chosen logit minus a logsumexp, a few
    hundred tokens at a time, so the float32 copy of the logits is never whole. (With gradients on, autograd
    keeps each chunk for the backward pass anyway; the saving is for the no-grad reference/old passes.)
    `tokens` must be valid ids everywhere, padding included (pad with the pad token's id, not -100).
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    if logits.ndim != 3 or list(tokens.shape) != list(logits.shape[:2]):
        raise ValueError(
            f"logits (n, T, vocab) {list(logits.shape)} do not match tokens (n, T) {list(tokens.shape)}"
        )
    n, t, vocab = logits.shape
    if n * t == 0:
        return paddle.zeros([n, t], dtype="float32")
    flat = logits.reshape([n * t, vocab])
    ids = tokens.reshape([n * t, 1]).astype("int64")
    step = max(1, _LOGSOFTMAX_CHUNK_ELEMENTS // vocab)
    pieces = []
    for start in range(0, n * t, step):
        chunk = flat[start : start + step].astype("float32")
        if temperature != 1.0:
            chunk = chunk / temperature
        chosen = paddle.take_along_axis(chunk, ids[start : start + step], axis=-1).squeeze(-1)
        pieces.append(chosen - paddle.logsumexp(chunk, axis=-1))
    out = pieces[0] if len(pieces) == 1 else paddle.concat(pieces)
    return out.reshape([n, t])
