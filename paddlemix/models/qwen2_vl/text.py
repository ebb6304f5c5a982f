"""Qwen2 text decoder with M-RoPE, shared by Qwen2-VL and Qwen2.5-VL.

GQA attention with q/k/v biases (o_proj has none), RMSNorm, SwiGLU MLP. Module names follow the hub keys
(`model.layers.N.self_attn.q_proj`, `model.norm`, ...). Positions come in as explicit (3, batch, seq) M-RoPE
ids; see `rope_index.py` for how they are made.
"""

from __future__ import annotations

import math

import numpy as np
import paddle
import paddle.nn as nn
from paddle.distributed.fleet.utils import recompute

from ..activations import get_activation
from ..attention import attention, cast, causal_padding_mask
from ..kv_cache import KVCache
from ..linear import Linear
from ..rms_norm import RMSNorm
from .configuration import Qwen2VLConfig
from .vision import apply_rotary, expand_heads, signed_sin


class MRotaryEmbedding(nn.Layer):
    """Multimodal rotary embedding: frequency slice i of each head rotates with axis (t, h, w)[i % 3]."""

    def __init__(self, head_dim: int, theta: float, mrope_section):
        super().__init__()
        inv = 1.0 / (theta ** (np.arange(0, head_dim, 2, dtype=np.float32) / head_dim))
        self.inv_freq = paddle.to_tensor(inv.astype(np.float32))
        self.mrope_section = list(mrope_section)

    def forward(self, position_ids: paddle.Tensor, dtype):
        """position_ids: (3, batch, seq) -> cos, signed sin (see `apply_rotary`): (batch, seq, head_dim) in `dtype`."""
        freqs = position_ids.astype("float32").unsqueeze(-1) * self.inv_freq  # (3, b, s, d/2)
        parts = paddle.split(freqs, self.mrope_section, axis=-1)
        freqs = paddle.concat([p[i % 3] for i, p in enumerate(parts)], axis=-1)
        emb = paddle.concat([freqs, freqs], axis=-1)
        return paddle.cos(emb).astype(dtype), signed_sin(paddle.sin(emb)).astype(dtype)

    def table(self, length: int, dtype):
        """cos, signed sin (length, head_dim) of positions 0 .. length-1 on all three axes, made by `forward`.

        A generated token has the same id on t, h and w, so a decoding step looks its rows up here instead of
        recomputing them (~10 ops a step).
        """
        pos = paddle.arange(length, dtype="int64").reshape([1, 1, length]).expand([3, 1, length])
        cos, sin = self(pos, dtype)
        return cos[0], sin[0]


class Qwen2MLP(nn.Layer):
    """SwiGLU: down(act(gate(x)) * up(x))."""

    def __init__(self, hidden: int, intermediate: int, act: str, bias: bool = False):
        super().__init__()
        b = None if bias else False
        self.gate_proj = Linear(hidden, intermediate, bias_attr=b)
        self.up_proj = Linear(hidden, intermediate, bias_attr=b)
        self.down_proj = Linear(intermediate, hidden, bias_attr=b)
        self.act_fn = get_activation(act)

    def forward(self, x):
        """x: (..., hidden) -> (..., hidden)."""
        return self.down_proj(self.act_fn(self.gate_proj(x)) * self.up_proj(x))


class Qwen2Attention(nn.Layer):
    """Grouped-query self-attention with q/k/v biases and M-RoPE."""

    def __init__(self, config: Qwen2VLConfig, layer_idx: int):
        super().__init__()
        self.layer_idx = layer_idx
        self.num_heads = config.num_attention_heads
        self.num_kv_heads = config.num_key_value_heads
        self.head_dim = config.head_dim
        self.backend = config.attn_implementation
        h = config.hidden_size
        self.q_proj = Linear(h, self.num_heads * self.head_dim)
        self.k_proj = Linear(h, self.num_kv_heads * self.head_dim)
        self.v_proj = Linear(h, self.num_kv_heads * self.head_dim)
        self.o_proj = Linear(self.num_heads * self.head_dim, h, bias_attr=False)

    def project(self, x):
        """x: (b, s, hidden) -> q (b, heads, s, head_dim), k and v (b, kv_heads, s, head_dim), before rotary."""
        b, s, _ = x.shape
        q = self.q_proj(x).reshape([b, s, self.num_heads, self.head_dim]).transpose([0, 2, 1, 3])
        k = self.k_proj(x).reshape([b, s, self.num_kv_heads, self.head_dim]).transpose([0, 2, 1, 3])
        v = self.v_proj(x).reshape([b, s, self.num_kv_heads, self.head_dim]).transpose([0, 2, 1, 3])
        return q, k, v

    def qkv_layers(self) -> tuple:
        """The q, k and v projections."""
        return self.q_proj, self.k_proj, self.v_proj

    def fused_qkv(self) -> tuple | None:
        """q/k/v weights side by side (hidden, (heads + 2 kv_heads) * head_dim) and biases (1, ...), or None
        when a projection is not a plain `Linear` (e.g. LoRA-wrapped).

        One GEMM a decoding step instead of three: each output column is the same dot product either way
        (checked bitwise in tests/generation/test_decode_step.py). Made per `generate` call, so training, the state
        dict and adapters never see it.
        """
        layers = self.qkv_layers()
        if any(type(p) is not Linear for p in layers):
            return None
        weight = paddle.concat([p.weight for p in layers], axis=1)
        if self.q_proj.bias is None:
            return weight, None
        return weight, paddle.concat([p.bias for p in layers]).unsqueeze(0)

    def decode_qk(self, qkv):
        """A step's fused projections (b, heads + 2 kv_heads, 1, head_dim) -> q and k stacked
        (b, heads + kv_heads, 1, head_dim) before rotary, and v (b, kv_heads, 1, head_dim)."""
        return paddle.split(qkv, [self.num_heads + self.num_kv_heads, self.num_kv_heads], axis=1)

    def decode_project(self, x, fused, rope):
        """One token a row: x (b, 1, hidden) -> q, k, v after rotary, with one GEMM and one rotary for q and k
        together; rope: cos, signed sin (b, heads + kv_heads, 1, head_dim)."""
        b = x.shape[0]
        weight, bias = fused
        flat = x.reshape([b, -1])
        qkv = paddle.matmul(flat, weight) if bias is None else paddle.addmm(bias, flat, weight)
        qk, v = self.decode_qk(qkv.reshape([b, -1, 1, self.head_dim]))
        q, k = paddle.split(apply_rotary(qk, *rope), [self.num_heads, self.num_kv_heads], axis=1)
        return q, k, v

    def forward(self, x, rope, mask, cache: KVCache | None, padding_mask):
        """x: (b, s, hidden) -> (b, s, hidden).

        rope: cos, signed sin per head, either (cos_q, sin_q, cos_k, sin_k) (b, heads or kv_heads, s, head_dim)
        or, from `generate`, (cos, sin) (b, heads + kv_heads, s, head_dim) for q and k stacked.
        mask: additive (b, 1, s, t), or `decode_mask`'s (b, kv_heads, n_rep, 1, t) for one-token steps.
        """
        b, s, _ = x.shape
        projections = getattr(cache, "projections", None)  # only a generating `KVCache` has them
        fused = projections[self.layer_idx] if projections else None
        if fused is not None and s == 1 and len(rope) == 2:
            q, k, v = self.decode_project(x, fused, rope)
        else:
            q, k, v = self.project(x)
            if len(rope) == 2:
                heads = [self.num_heads, self.num_kv_heads]
                (cos_q, cos_k), (sin_q, sin_k) = (paddle.split(t, heads, axis=1) for t in rope)
            else:
                cos_q, sin_q, cos_k, sin_k = rope
            q = apply_rotary(q, cos_q, sin_q)
            k = apply_rotary(k, cos_k, sin_k)
        if cache is not None:
            k, v = cache.update(self.layer_idx, k, v)
        out = attention(
            q, k, v, scale=self.head_dim**-0.5, backend=self.backend, mask=mask, padding_mask=padding_mask
        )
        return self.o_proj(out.reshape([b, s, -1]))


class Qwen2DecoderLayer(nn.Layer):
    """Pre-norm residual block: RMSNorm + attention, RMSNorm + SwiGLU."""

    attention_class = Qwen2Attention

    def __init__(self, config: Qwen2VLConfig, layer_idx: int):
        super().__init__()
        self.self_attn = self.attention_class(config, layer_idx)
        self.mlp = Qwen2MLP(config.hidden_size, config.intermediate_size, config.hidden_act)
        self.input_layernorm = RMSNorm(config.hidden_size, config.rms_norm_eps)
        self.post_attention_layernorm = RMSNorm(config.hidden_size, config.rms_norm_eps)

    def forward(self, x, rope, mask, cache=None, padding_mask=None):
        """x: (b, s, hidden) -> (b, s, hidden)."""
        x = x + self.self_attn(self.input_layernorm(x), rope, mask, cache, padding_mask)
        return x + self.mlp(self.post_attention_layernorm(x))


# The fused copy lives beside the weights for one `generate` call. It pays where a decoding step is bound by
# dispatch (small widths: three GEMMs become one), not where the GEMMs dominate; past this size (Qwen2-VL-2B's
# 28 layers: ~0.9 GB in float32, 8B's ~3.6 GB) the memory is worth more than the saved calls.
FUSED_QKV_MAX_BYTES = 256 << 20


class Qwen2VLTextModel(nn.Layer):
    """Token embeddings, decoder layers and the final norm (hub prefix `model.`)."""

    layer_class = Qwen2DecoderLayer
    rotary_class = MRotaryEmbedding

    def __init__(self, config: Qwen2VLConfig):
        super().__init__()
        self.config = config
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)
        self.layers = nn.LayerList([self.layer_class(config, i) for i in range(config.num_hidden_layers)])
        self.norm = RMSNorm(config.hidden_size, config.rms_norm_eps)
        self.rotary_emb = self.rotary_class(config.head_dim, config.rope_theta, config.mrope_section)

    def fused_projections(self) -> list | None:
        """Every layer's `fused_qkv`, or None when a layer has none or the copies would exceed `FUSED_QKV_MAX_BYTES`."""
        attns = [layer.self_attn for layer in self.layers]
        size = sum(math.prod(p.weight.shape) * p.weight.element_size() for a in attns for p in a.qkv_layers())
        if size > FUSED_QKV_MAX_BYTES:
            return None
        fused = [a.fused_qkv() for a in attns]
        return None if any(f is None for f in fused) else fused

    def split_inputs(self, inputs_embeds: paddle.Tensor):
        """(layer-0 input (b, s, hidden), per-layer additions); Qwen2-VL adds nothing after a layer."""
        return inputs_embeds, []

    def forward(
        self,
        inputs_embeds: paddle.Tensor,
        position_ids: paddle.Tensor,
        attention_mask: paddle.Tensor | None = None,
        cache: KVCache | None = None,
        position_embeddings: tuple | None = None,
    ) -> paddle.Tensor:
        """inputs_embeds: (b, s, hidden); position_ids: (3, b, s); attention_mask: (b, past + s) 0/1, or a
        ready additive mask (b, 1, s, past + s) (e.g. block-diagonal causal for packed samples; eager math), or
        while decoding one token a row `decode_mask`'s (b, kv_heads, n_rep, 1, past + 1).
        position_embeddings: (cos, signed sin) (b, s, head_dim) of position_ids when already known, or already
        per head (b, heads + kv_heads, s, head_dim) (rows of `rotary_emb.table` while decoding); position_ids
        are then not read.

        Returns the normed hidden states (b, s, hidden). A given cache is filled with this call's keys/values.
        """
        b, s = inputs_embeds.shape[:2]
        past = cache.length if cache is not None else 0
        if attention_mask is None:
            attention_mask = paddle.ones([b, past + s], dtype="int64")
        if attention_mask.shape[-1] != past + s:
            raise ValueError(
                f"attention_mask covers {attention_mask.shape[-1]} positions; the cache holds {past} and the "
                f"input adds {s}"
            )
        dtype = inputs_embeds.dtype
        if attention_mask.ndim >= 4:
            mask = cast(attention_mask, dtype)
            padding_mask = None
        else:
            mask = causal_padding_mask(attention_mask, s, dtype)
            padding_mask = attention_mask if past == 0 else None
        if position_embeddings is not None and position_embeddings[0].ndim == 4:
            rope = position_embeddings
        else:
            cos, sin = position_embeddings or self.rotary_emb(position_ids, dtype)
            heads, kv_heads = self.config.num_attention_heads, self.config.num_key_value_heads
            cos_q, sin_q = expand_heads(cos, heads), expand_heads(sin, heads)
            if kv_heads == heads:
                rope = (cos_q, sin_q, cos_q, sin_q)
            else:
                rope = (cos_q, sin_q, expand_heads(cos, kv_heads), expand_heads(sin, kv_heads))
        h, injections = self.split_inputs(inputs_embeds)
        for i, layer in enumerate(self.layers):
            if self.config.recompute and self.training and cache is None:
                h = recompute(layer, h, rope, mask, None, padding_mask)
            else:
                h = layer(h, rope, mask, cache, padding_mask)
            if i < len(injections):
                h = h + injections[i]
        if cache is not None:
            cache.advance(s)
        return self.norm(h)
