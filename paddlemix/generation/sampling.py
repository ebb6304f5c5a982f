"""Next-token choice: greedy, or sampling with temperature, top-k and top-p (in that order, as transformers)."""

from __future__ import annotations

import paddle
import paddle.nn.functional as F


def filter_top_k(logits: paddle.Tensor, top_k: int) -> paddle.Tensor:
    """Keep the k largest logits of each row (b, vocab); the rest become -inf."""
    if not top_k or top_k >= logits.shape[-1]:
        return logits
    kth = paddle.topk(logits, top_k, axis=-1)[0][:, -1:]
    return paddle.where(logits < kth, paddle.full_like(logits, float("-inf")), logits)


def filter_top_p(logits: paddle.Tensor, top_p: float) -> paddle.Tensor:
    """Keep the most likely tokens until their mass reaches top_p, inclusive (always at least one)."""
    if top_p is None or top_p >= 1.0:
        return logits
    desc = paddle.sort(logits, axis=-1, descending=True)
    probs = F.softmax(desc, axis=-1)
    mass_before = paddle.cumsum(probs, axis=-1) - probs
    n_keep = (mass_before < top_p).astype("int64").sum(axis=-1, keepdim=True)
    threshold = paddle.take_along_axis(desc, n_keep - 1, axis=-1)
    return paddle.where(logits < threshold, paddle.full_like(logits, float("-inf")), logits)


def next_tokens(
    logits: paddle.Tensor,
    do_sample: bool,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    suppress_ids: paddle.Tensor | None = None,
):
    """Pick one token per row of logits (b, vocab); `suppress_ids` are never picked.

    Returns tokens (b,) and their log-probs (b,) under softmax(logits / temperature), before top-k/top-p
    truncation: the distribution that the GRPO loss recomputes from a forward pass.
    """
    logits = logits.astype("float32")
    pick_from = logits
    if suppress_ids is not None:
        pick_from = paddle.put_along_axis(
            logits, suppress_ids.unsqueeze(0).expand([logits.shape[0], -1]), float("-inf"), axis=-1
        )
    if do_sample:
        if temperature <= 0:
            raise ValueError(f"temperature must be > 0 when sampling, got {temperature}")
        scaled = logits / temperature
        filtered = filter_top_p(filter_top_k(pick_from / temperature, top_k), top_p)
        tokens = paddle.multinomial(F.softmax(filtered, axis=-1), num_samples=1).reshape([-1])
    else:
        scaled = logits
        tokens = paddle.argmax(pick_from, axis=-1)
    # logit - logsumexp instead of log_softmax: Paddle's CPU log_softmax is ~100x slower on a 151k vocab.
    picked = paddle.take_along_axis(scaled, tokens.unsqueeze(-1).astype("int64"), axis=-1).reshape([-1])
    return tokens, picked - paddle.logsumexp(scaled, axis=-1)
