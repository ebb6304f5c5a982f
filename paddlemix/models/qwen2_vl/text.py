"""Qwen2 text decoder with M-RoPE, shared by Qwen2-VL and Qwen2.5-VL.

GQA attention with q/k/v biases (o_proj has none), RMSNorm, SwiGLU MLP. Module names follow the hub keys
(`model.layers.N.self_attn.q_proj`, `model.norm`, ...). Positions come in as explicit (3, batch, seq) M-RoPE
ids; see `rope_index.py` for how they are made.
"""

from __future__ import annotations

import numpy as np
import paddle
import paddle.nn as nn
from paddle.distributed.fleet.utils import recompute

from ..activations import get_activation
from ..attention import attention, causal_padding_mask
from ..kv_cache import KVCache
from ..linear import Linear
from ..rms_norm import RMSNorm
from .configuration import Qwen2VLConfig
from .vision import apply_rotary, signed_sin


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


def heads_rotary(cos: paddle.Tensor, sin: paddle.Tensor, num_heads: int, num_kv_heads: int) -> tuple:
    """cos, signed sin (b, s, head_dim) -> (cos_q, sin_q) (b, heads, s, head_dim), (cos_k, sin_k) (b, kv_heads, s, head_dim).

    Expanded once per forward and shared by every layer: Paddle's CPU multiply broadcasting over the head axis
    costs several times a same-shape multiply, forward and backward (rotary of a (16, 8, 180, 8) q: 23 -> 8 ms
    forward + backward). The products are the same floats either way.
    """
    b, s, d = cos.shape
    c, sn = cos.reshape([b, 1, s, d]), sin.reshape([b, 1, s, d])
    cos_q, sin_q = c.expand([b, num_heads, s, d]), sn.expand([b, num_heads, s, d])
    if num_kv_heads == num_heads:
        return cos_q, sin_q, cos_q, sin_q
    return cos_q, sin_q, c.expand([b, num_kv_heads, s, d]), sn.expand([b, num_kv_heads, s, d])


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

    def forward(self, x, rope, mask, cache: KVCache | None, padding_mask):
        """x: (b, s, hidden); rope: `heads_rotary`'s four tensors; mask: additive (b, 1, s, t) -> (b, s, hidden)."""
        b, s, _ = x.shape
        q, k, v = self.project(x)
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
        ready additive mask (b, 1, s, past + s) (e.g. block-diagonal causal for packed samples; eager math).
        position_embeddings: (cos, signed sin) (b, s, head_dim) of position_ids when already known (rows of
        `rotary_emb.table` while decoding); position_ids are then not read.

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
        if attention_mask.ndim == 4:
            mask = attention_mask if attention_mask.dtype == dtype else attention_mask.astype(dtype)
            padding_mask = None
        else:
            mask = causal_padding_mask(attention_mask, s, dtype)
            padding_mask = attention_mask if past == 0 else None
        if position_embeddings is None:
            cos, sin = self.rotary_emb(position_ids, dtype)
        else:
            cos, sin = position_embeddings
        rope = heads_rotary(cos, sin, self.config.num_attention_heads, self.config.num_key_value_heads)
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
