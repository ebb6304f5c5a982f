"""The eager attention kernel against a float64 NumPy reference: grouped-query causal attention over a
left-padded batch, and the vision tower's packed variable-length segments.

It runs on every device; the flash kernels are checked at model level (`forward_checks.check_flash`).
"""

from __future__ import annotations

import numpy as np
import paddle

from paddlemix.diagnostics.report import CheckResult, within
from paddlemix.models.attention import attention, causal_padding_mask

TOLERANCE = 1e-4  # max |Δ| of outputs of order 1, in float32


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def reference_text(q, k, v, padding: np.ndarray, scale: float) -> np.ndarray:
    """q (b, h, s, d), k/v (b, h_kv, s, d), padding (b, s) 0/1 -> (b, s, h, d), float64, causal."""
    b, h, s, _ = q.shape
    rep = h // k.shape[1]
    k, v = np.repeat(k, rep, axis=1), np.repeat(v, rep, axis=1)
    scores = np.einsum("bhqd,bhkd->bhqk", q, k) * scale
    visible = np.tril(np.ones((s, s), bool))[None] & padding.astype(bool)[:, None, :]
    visible |= np.eye(s, dtype=bool)[None]  # a padding query sees itself, as ours does
    scores = np.where(visible[:, None], scores, -np.inf)
    return np.einsum("bhqk,bhkd->bqhd", _softmax(scores), v)


def reference_varlen(q, k, v, bounds: list[int], scale: float) -> np.ndarray:
    """Packed q/k/v (n, h, d), each segment attending within itself -> (n, h, d)."""
    out = np.zeros_like(q)
    for a, z in zip(bounds[:-1], bounds[1:]):
        scores = np.einsum("qhd,khd->hqk", q[a:z], k[a:z]) * scale
        out[a:z] = np.einsum("hqk,khd->qhd", _softmax(scores), v[a:z])
    return out


def check_eager_attention(seed: int = 0) -> CheckResult:
    """Ours (eager, float32) against the NumPy reference on random inputs."""
    rng = np.random.default_rng(seed)
    b, h, h_kv, s, d = 2, 8, 2, 12, 16
    scale = d**-0.5
    q, k, v = (rng.standard_normal(shape) for shape in [(b, h, s, d), (b, h_kv, s, d), (b, h_kv, s, d)])
    padding = np.ones((b, s), np.int64)
    padding[1, :5] = 0  # left padding
    pd = {name: paddle.to_tensor(x.astype(np.float32)) for name, x in dict(q=q, k=k, v=v).items()}
    mask = causal_padding_mask(paddle.to_tensor(padding), s, paddle.float32)
    text = attention(pd["q"], pd["k"], pd["v"], scale=scale, backend="eager", mask=mask).numpy()
    keep = padding.astype(bool)
    text_err = float(np.abs(text - reference_text(q, k, v, padding, scale))[keep].max())

    bounds = [0, 16, 32, 48, 60]  # equal runs and a shorter last segment, as window attention packs them
    n = bounds[-1]
    qv, kv, vv = (rng.standard_normal((n, 4, d)) for _ in range(3))
    packed = attention(
        *(paddle.to_tensor(x.astype(np.float32)) for x in (qv, kv, vv)),
        scale=scale,
        backend="eager",
        cu_seqlens=bounds,
    ).numpy()
    vision_err = float(np.abs(packed - reference_varlen(qv, kv, vv, bounds, scale)).max())
    figures = {"text_max_abs": text_err, "vision_max_abs": vision_err}
    return within(
        "attention_eager",
        figures,
        {"text_max_abs": TOLERANCE, "vision_max_abs": TOLERANCE},
        note=" (vs float64 NumPy)",
    )
