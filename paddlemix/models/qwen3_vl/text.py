"""Qwen3-VL text decoder, written as its differences from the Qwen2 decoder of Qwen2-VL.

- attention: no q/k/v bias, `head_dim` from the config (not hidden / heads), and an RMSNorm over each head of
  q and of k (`q_norm`, `k_norm`) before the rotary;
- interleaved M-RoPE: the rotary frequencies of a head are assigned to the (t, h, w) position axes in
  turn, t h w t h w ..., with `mrope_section` counting each axis's share (the t axis takes the tail), where
  Qwen2-VL gives each axis one contiguous block. With head_dim 16 and mrope_section [4, 2, 2]:

      frequency: 0 1 2 3 4 5 6 7
      axis:      t h w t h w t t

- DeepStack: the input embeddings carry, beside the layer-0 input, one addition per DeepStack level
  (vision features at the image tokens, zero elsewhere), which is added to the output of text layer i.
  See `Qwen3VLForConditionalGeneration.embed` for why they travel with the embeddings.
"""

from __future__ import annotations

import numpy as np
import paddle
import paddle.nn as nn

from ..linear import Linear
from ..qwen2_vl.text import MRotaryEmbedding, Qwen2Attention, Qwen2DecoderLayer, Qwen2VLTextModel
from ..qwen2_vl.vision import signed_sin
from ..rms_norm import RMSNorm
from .configuration import Qwen3VLConfig


def interleaved_axes(head_dim: int, mrope_section) -> np.ndarray:
    """The position axis (0 = t, 1 = h, 2 = w) of each of the head_dim / 2 rotary frequencies."""
    axes = np.zeros(head_dim // 2, dtype=np.int64)
    for axis in (1, 2):
        axes[axis : 3 * int(mrope_section[axis]) : 3] = axis
    return axes


class InterleavedMRotaryEmbedding(MRotaryEmbedding):
    """M-RoPE with the three axes interleaved over the frequencies (see the module docstring)."""

    def __init__(self, head_dim: int, theta: float, mrope_section):
        super().__init__(head_dim, theta, mrope_section)
        axes = interleaved_axes(head_dim, mrope_section)
        # One-hot selectors (3, 1, 1, head_dim / 2): picking by multiply-and-sum is exact (x * 1 + 0 + 0).
        self.selectors = paddle.to_tensor((np.arange(3)[:, None] == axes[None]).astype(np.float32)).reshape(
            [3, 1, 1, -1]
        )

    def forward(self, position_ids: paddle.Tensor, dtype):
        """position_ids: (3, batch, seq) -> cos, signed sin: (batch, seq, head_dim) in `dtype`."""
        freqs = position_ids.astype("float32").unsqueeze(-1) * self.inv_freq  # (3, b, s, d/2)
        freqs = (freqs * self.selectors).sum(axis=0)
        emb = paddle.concat([freqs, freqs], axis=-1)
        return paddle.cos(emb).astype(dtype), signed_sin(paddle.sin(emb)).astype(dtype)


class Qwen3Attention(Qwen2Attention):
    """Qwen2's attention without biases, with the config's head_dim and per-head q/k RMSNorm."""

    def __init__(self, config: Qwen3VLConfig, layer_idx: int):
        nn.Layer.__init__(self)
        self.layer_idx = layer_idx
        self.num_heads = config.num_attention_heads
        self.num_kv_heads = config.num_key_value_heads
        self.head_dim = config.head_dim
        self.backend = config.attn_implementation
        h, d = config.hidden_size, config.head_dim
        self.q_proj = Linear(h, self.num_heads * d, bias_attr=False)
        self.k_proj = Linear(h, self.num_kv_heads * d, bias_attr=False)
        self.v_proj = Linear(h, self.num_kv_heads * d, bias_attr=False)
        self.o_proj = Linear(self.num_heads * d, h, bias_attr=False)
        self.q_norm = RMSNorm(d, config.rms_norm_eps)
        self.k_norm = RMSNorm(d, config.rms_norm_eps)

    def project(self, x):
        """Qwen2's projections, then q_norm / k_norm over each head."""
        q, k, v = super().project(x)
        return self.q_norm(q), self.k_norm(k), v

    def decode_qk(self, qkv):
        """Qwen2's split, with q_norm / k_norm over each head before q and k are stacked."""
        q, k, v = paddle.split(qkv, [self.num_heads, self.num_kv_heads, self.num_kv_heads], axis=1)
        return paddle.concat([self.q_norm(q), self.k_norm(k)], axis=1), v


class Qwen3DecoderLayer(Qwen2DecoderLayer):
    """Qwen2's pre-norm block with Qwen3 attention."""

    attention_class = Qwen3Attention


class Qwen3VLTextModel(Qwen2VLTextModel):
    """The Qwen3 decoder (hub prefix `model.language_model.`), taking DeepStack additions with its inputs."""

    layer_class = Qwen3DecoderLayer
    rotary_class = InterleavedMRotaryEmbedding

    def split_inputs(self, inputs_embeds: paddle.Tensor):
        """(b, s, (1 + k) * hidden) -> the layer-0 input (b, s, hidden) and k additions (b, s, hidden)."""
        h = self.config.hidden_size
        if inputs_embeds.shape[-1] % h:
            raise ValueError(f"inputs_embeds width {inputs_embeds.shape[-1]} is not a multiple of hidden {h}")
        parts = paddle.split(inputs_embeds, inputs_embeds.shape[-1] // h, axis=-1)
        return parts[0], parts[1:]
