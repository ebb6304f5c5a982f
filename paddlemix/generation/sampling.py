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
    """Keep the smallest set of tokens whose probability mass reaches top_p (always at least one)."""
    if top_p is None or top_p >= 1.0:
        return logits
    sorted_logits, order = paddle.sort(logits, axis=-1, descending=False), paddle.argsort(logits, axis=-1)
    cum = paddle.cumsum(F.softmax(sorted_logits, axis=-1), axis=-1)
    drop_sorted = cum <= (1 - top_p)
    drop_sorted[:, -1] = False
    drop = paddle.put_along_axis(paddle.zeros_like(drop_sorted), order, drop_sorted, axis=-1)
    return paddle.where(drop, paddle.full_like(logits, float("-inf")), logits)


def next_tokens(
    logits: paddle.Tensor,
    do_sample: bool,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
):
    """Pick one token per row of logits (b, vocab).

    Returns tokens (b,) and their log-probs (b,) under softmax(logits / temperature), before top-k/top-p
    truncation: the distribution that the GRPO loss recomputes from a forward pass.
    """
    logits = logits.astype("float32")
    if do_sample:
        if temperature <= 0:
            raise ValueError(f"temperature must be > 0 when sampling, got {temperature}")
        scaled = logits / temperature
        filtered = filter_top_p(filter_top_k(scaled, top_k), top_p)
        tokens = paddle.multinomial(F.softmax(filtered, axis=-1), num_samples=1).reshape([-1])
    else:
        scaled = logits
        tokens = paddle.argmax(logits, axis=-1)
    logprobs = F.log_softmax(scaled, axis=-1)
    chosen = paddle.take_along_axis(logprobs, tokens.unsqueeze(-1), axis=-1).reshape([-1])
    return tokens, chosen
