"""The one attention entry point of both towers.

`attention(...)` serves the text decoder (batched, causal, padding-aware, with a KV cache) and the vision tower
(packed variable-length segments given by `cu_seqlens`). The backend is picked once from the config:

- "eager": plain matmul + float32 softmax. It runs anywhere and is the reference math the tests check.
- "flash": Paddle's flash attention kernels on GPU in bf16/fp16 (`flash_attn_unpadded` for packed vision
  segments and unpadded text prefill). Decoding steps of one token fall back to eager math, which is
  memory-bound there anyway.
"""

from __future__ import annotations

import paddle
import paddle.nn.functional as F


def cast(x: paddle.Tensor, dtype) -> paddle.Tensor:
    """x in `dtype`; x itself when it already is, so that no cast op is dispatched."""
    return x if x.dtype == dtype else x.astype(dtype)


def repeat_kv(x: paddle.Tensor, n_rep: int) -> paddle.Tensor:
    """Repeat grouped kv heads: (b, h_kv, s, d) -> (b, h_kv * n_rep, s, d)."""
    if n_rep == 1:
        return x
    b, h, s, d = x.shape
    return x.unsqueeze(2).expand([b, h, n_rep, s, d]).reshape([b, h * n_rep, s, d])


def _eager(q, k, v, scale, mask):
    """q: (b, h, s, d), k/v: (b, h_kv, t, d), mask additive (b, 1, s, t) or None -> (b, s, h, d).

    Grouped queries attend to their shared kv head directly: each query head's group is folded into the
    sequence axis, so the (growing) KV cache is never copied n_rep times as `repeat_kv` would.
    """
    b, h, s, d = q.shape
    h_kv, t = k.shape[1], k.shape[2]
    n_rep = h // h_kv
    # Scaling q (b, h, s, d) is cheaper than scaling the scores (b, h, s, t).
    qg = (q * scale).reshape([b, h_kv, n_rep * s, d])
    scores = paddle.matmul(qg, k, transpose_y=True)
    if mask is not None:
        # Expanded first: Paddle's CPU add broadcasting over the head axes is ~3x slower than copy + add.
        mask = cast(mask, scores.dtype)
        full = mask.unsqueeze(1).expand([b, h_kv, n_rep, s, t])
        scores = scores.reshape([b, h_kv, n_rep, s, t]) + full
    scores = scores.astype("float32")
    # Without autograd the scores are dead after the softmax: overwrite them rather than allocate another
    # (b, h, s, t) buffer, which is most of a long prompt's softmax time on CPU (vision 16 x 1564^2: 94 -> 77 ms).
    probs = F.softmax_(scores, axis=-1) if scores.stop_gradient else F.softmax(scores, axis=-1)
    probs = probs.astype(q.dtype).reshape([b, h_kv, n_rep * s, t])
    return paddle.matmul(probs, v).reshape([b, h, s, d]).transpose([0, 2, 1, 3])


def _eager_varlen(q, k, v, scale, cu_seqlens):
    """Packed segments, each attending only within itself; q/k/v: (n, h, d) -> (n, h, d).

    Runs of equal-length segments (the usual case for window attention) go through one batched matmul.
    """
    bounds = [int(x) for x in cu_seqlens]
    outs, i = [], 0
    while i < len(bounds) - 1:
        length = bounds[i + 1] - bounds[i]
        j = i
        while j + 1 < len(bounds) - 1 and bounds[j + 2] - bounds[j + 1] == length:
            j += 1
        start, end, n = bounds[i], bounds[j + 1], j - i + 1
        q_s, k_s, v_s = (
            t[start:end].reshape([n, length, t.shape[1], t.shape[2]]).transpose([0, 2, 1, 3])
            for t in (q, k, v)
        )
        out = _eager(q_s, k_s, v_s, scale, None)
        outs.append(out.reshape([n * length, q.shape[1], q.shape[2]]))
        i = j + 1
    return outs[0] if len(outs) == 1 else paddle.concat(outs, axis=0)


def _flash_varlen(q, k, v, scale, cu_seqlens, causal):
    from paddle.nn.functional.flash_attention import flash_attn_unpadded

    cu = paddle.to_tensor(cu_seqlens, dtype="int32", place=q.place)
    max_len = int((cu[1:] - cu[:-1]).max())
    out, _ = flash_attn_unpadded(q, k, v, cu, cu, max_len, max_len, scale=scale, causal=causal)
    return out


def _flash_text(q, k, v, scale, padding_mask):
    """Causal prefill of a left-padded batch: unpad to packed segments, run varlen flash, pad back."""
    b, h, s, d = q.shape
    n_rep = h // k.shape[1]
    keep = padding_mask.astype("bool").reshape([-1])
    lens = padding_mask.astype("int32").sum(axis=1)
    cu = [0] + paddle.cumsum(lens, axis=0).tolist()

    def pack(t):
        return t.transpose([0, 2, 1, 3]).reshape([b * s, t.shape[1], d])[keep]

    out = _flash_varlen(pack(q), pack(repeat_kv(k, n_rep)), pack(repeat_kv(v, n_rep)), scale, cu, causal=True)
    full = paddle.zeros([b * s, h, d], dtype=out.dtype)
    idx = paddle.nonzero(keep).reshape([-1])
    full = paddle.scatter(full, idx, out, overwrite=True)
    return full.reshape([b, s, h, d])


def attention(
    q: paddle.Tensor,
    k: paddle.Tensor,
    v: paddle.Tensor,
    *,
    scale: float,
    backend: str = "eager",
    mask: paddle.Tensor | None = None,
    cu_seqlens=None,
    padding_mask: paddle.Tensor | None = None,
) -> paddle.Tensor:
    """Scaled dot-product attention for both towers.

    Text: q (b, h, s, d), k/v (b, h_kv, t, d), `mask` additive (b, 1, s, t); returns (b, s, h, d).
    `padding_mask` (b, s) lets the flash backend run an uncached prefill as packed causal segments.
    Vision: q/k/v (n, h, d) packed, `cu_seqlens` the segment bounds (list or 1-D tensor); returns (n, h, d).
    """
    if cu_seqlens is not None:
        if backend == "flash":
            return _flash_varlen(q, k, v, scale, cu_seqlens, causal=False)
        return _eager_varlen(q, k, v, scale, cu_seqlens)
    if backend == "flash" and padding_mask is not None and q.shape[2] == k.shape[2] and q.shape[2] > 1:
        return _flash_text(q, k, v, scale, padding_mask)
    if mask is not None and mask.ndim == 5:
        return _eager_decode(q, k, v, scale, mask)
    return _eager(q, k, v, scale, mask)


def _eager_decode(q, k, v, scale, mask):
    """`_eager`'s math for one query a row (a decoding step): q (b, h, 1, d), k/v (b, h_kv, t, d), mask additive
    (b, h_kv, n_rep, 1, t) already in the scores' shape (`decode_mask`) -> (b, 1, h, d).

    A step is ~25 small ops a layer, so it skips what `_eager` needs for long queries: the per-layer mask
    expansion (made once per `generate` call instead) and the final transpose (a reshape when s == 1).
    """
    b, h, _, d = q.shape
    h_kv, t = k.shape[1], k.shape[2]
    n_rep = h // h_kv
    scores = paddle.matmul((q * scale).reshape([b, h_kv, n_rep, d]), k, transpose_y=True)
    scores = cast(scores.reshape([b, h_kv, n_rep, 1, t]) + mask, paddle.float32)
    probs = F.softmax_(scores, axis=-1) if scores.stop_gradient else F.softmax(scores, axis=-1)
    probs = cast(probs, q.dtype).reshape([b, h_kv, n_rep, t])
    return paddle.matmul(probs, v).reshape([b, 1, h, d])


def causal_padding_mask(padding_mask: paddle.Tensor, q_len: int, dtype) -> paddle.Tensor:
    """Additive mask (b, 1, q_len, t) from a 0/1 key mask (b, t) whose last q_len keys are the queries.

    A query may see key j if j is not padding and j is not in its future. Every query also sees itself, so
    the rows of left-padding queries are never fully masked: they stay finite instead of turning into NaN
    that would leak through later layers.
    """
    t = padding_mask.shape[1]
    neg = paddle.full([], paddle.finfo(dtype).min, dtype=dtype)
    zero = paddle.zeros([], dtype=dtype)
    if q_len == 1:
        # A decoding step: the one query is the newest position, so only padding is hidden.
        return paddle.where(padding_mask.astype("bool"), zero, neg).reshape([-1, 1, 1, t])
    past = t - q_len
    q_pos = paddle.arange(past, t, dtype="int64").reshape([q_len, 1])
    k_pos = paddle.arange(0, t, dtype="int64").reshape([1, t])
    causal = (k_pos <= q_pos).unsqueeze(0)
    visible = paddle.logical_and(causal, padding_mask.astype("bool").unsqueeze(1))
    visible = paddle.logical_or(visible, (k_pos == q_pos).unsqueeze(0))
    return paddle.where(visible, zero, neg).unsqueeze(1)


def decode_mask(padding_mask: paddle.Tensor, num_heads: int, num_kv_heads: int, dtype) -> paddle.Tensor:
    """Additive mask (b, kv_heads, n_rep, 1, t) of a decoding step over keys with 0/1 mask (b, t).

    The step's one query is the newest position, so it sees every key but padding (`causal_padding_mask` with
    q_len 1, same values). Made in the grouped scores' shape of `_eager_decode`, so no layer expands it; a
    decoding loop appends a zero column a step, which keeps it contiguous (Paddle's CPU add with a strided
    slice of a wider mask costs ~10x a contiguous one).
    """
    b, t = padding_mask.shape
    neg = paddle.full([], paddle.finfo(dtype).min, dtype=dtype)
    mask = paddle.where(padding_mask.astype("bool"), paddle.zeros([], dtype=dtype), neg)
    return mask.reshape([b, 1, 1, 1, t]).expand([b, num_kv_heads, num_heads // num_kv_heads, 1, t])
