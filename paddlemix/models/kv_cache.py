"""A preallocated key/value cache for the text decoder.

Keys and values of each layer live in one buffer of shape (batch, kv_heads, max_len, head_dim); a step writes
its slice in place instead of concatenating, so decoding T tokens costs O(T), not O(T^2), in copies.
"""

from __future__ import annotations

import paddle


class KVCache:
    """Per-layer key/value buffers plus the number of positions already filled."""

    def __init__(self, num_layers: int, batch: int, num_kv_heads: int, max_len: int, head_dim: int, dtype):
        shape = [batch, num_kv_heads, max_len, head_dim]
        self.keys = [paddle.zeros(shape, dtype=dtype) for _ in range(num_layers)]
        self.values = [paddle.zeros(shape, dtype=dtype) for _ in range(num_layers)]
        self.max_len = max_len
        self.length = 0
        # Per-layer fused q/k/v weights for one-token steps (`Qwen2Attention.fused_qkv`), set by `generate`
        # for the length of one call; None runs the separate projections.
        self.projections: list | None = None

    @property
    def batch_size(self) -> int:
        """Rows in the cache."""
        return self.keys[0].shape[0]

    def update(self, layer: int, k: paddle.Tensor, v: paddle.Tensor):
        """Store k/v (batch, kv_heads, s, d) after the filled part; return all keys and values so far."""
        start, end = self.length, self.length + k.shape[2]
        if end > self.max_len:
            raise ValueError(f"KV cache overflow: {end} positions requested, {self.max_len} allocated")
        self.keys[layer][:, :, start:end] = k
        self.values[layer][:, :, start:end] = v
        return self.keys[layer][:, :, :end], self.values[layer][:, :, :end]

    def advance(self, n: int) -> None:
        """Mark n more positions as filled (called once per forward, after all layers)."""
        self.length += n

    def repeat_interleave(self, repeats: int) -> None:
        """Give each row `repeats` copies, so G samples continue from one encoded prompt."""
        if repeats == 1:
            return
        self.keys = [paddle.repeat_interleave(k, repeats, axis=0) for k in self.keys]
        self.values = [paddle.repeat_interleave(v, repeats, axis=0) for v in self.values]

    def select(self, rows: paddle.Tensor) -> None:
        """Keep only the given rows (int64 indices), e.g. the sequences still decoding."""
        self.keys = [paddle.index_select(k, rows, axis=0) for k in self.keys]
        self.values = [paddle.index_select(v, rows, axis=0) for v in self.values]
