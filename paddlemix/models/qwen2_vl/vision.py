"""Qwen2-VL vision tower: Conv3d patch embedding, 2-D rotary ViT blocks, and the 2x2 patch merger.

Module names follow the hub keys (`visual.patch_embed.proj`, `visual.blocks.N.attn.qkv`, `visual.merger.mlp.0`),
so loading a checkpoint is a direct mapping.
"""

from __future__ import annotations

import numpy as np
import paddle
import paddle.nn as nn
from paddle.distributed.fleet.utils import recompute

from ..activations import get_activation
from ..attention import attention
from ..linear import Linear
from .configuration import Qwen2VLVisionConfig


def vision_position_ids(grid_thw: np.ndarray, merge: int) -> np.ndarray:
    """(h, w) patch coordinates (num_patches, 2), laid out block-major over merge x merge blocks.

    The processor emits patches in this order, so the merger can fold each block of merge^2 consecutive rows.
    """
    out = []
    for t, h, w in grid_thw.tolist():
        hpos, wpos = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
        shape = (h // merge, merge, w // merge, merge)
        hpos = hpos.reshape(shape).transpose(0, 2, 1, 3).reshape(-1)
        wpos = wpos.reshape(shape).transpose(0, 2, 1, 3).reshape(-1)
        out.append(np.tile(np.stack([hpos, wpos], axis=-1), (t, 1)))
    return np.concatenate(out, axis=0)


def image_cu_seqlens(grid_thw: np.ndarray) -> list:
    """Bounds of the full-attention segments: one per frame of each image or video."""
    lens = np.repeat(grid_thw[:, 1] * grid_thw[:, 2], grid_thw[:, 0])
    return [0] + np.cumsum(lens).tolist()


def signed_sin(sin: paddle.Tensor) -> paddle.Tensor:
    """sin with its first half negated, so that rotary needs a roll instead of split, negate and concat."""
    s1, s2 = paddle.chunk(sin, 2, axis=-1)
    return paddle.concat([-s1, s2], axis=-1)


def apply_rotary(x: paddle.Tensor, cos: paddle.Tensor, sin_signed: paddle.Tensor) -> paddle.Tensor:
    """x * cos + rotate_half(x) * sin, with rotate_half(x) * sin = roll(x, d/2) * signed_sin(sin)."""
    return x * cos + paddle.roll(x, x.shape[-1] // 2, axis=-1) * sin_signed


def expand_heads(x: paddle.Tensor, num_heads: int) -> paddle.Tensor:
    """Rotary cos or signed sin (n, ..., head_dim) -> (n, heads, ..., head_dim), e.g. the vision tower's
    (n, d) -> (n, heads, d) or the decoder's (b, s, d) -> (b, heads, s, d).

    Expanded once per forward and shared by every layer or block: Paddle's CPU multiply broadcasting over the
    head axis costs several times a same-shape multiply, forward and backward (rotary of a (16, 8, 180, 8) q:
    23 -> 8 ms forward + backward). The products are the same floats either way.
    """
    return x.unsqueeze(1).expand([x.shape[0], num_heads, *x.shape[1:]])


class VisionRotaryEmbedding(nn.Layer):
    """Axial 2-D rotary: half the rotary frequencies follow the row, half the column."""

    def __init__(self, head_dim: int, theta: float):
        super().__init__()
        spatial = head_dim // 2
        inv = 1.0 / (theta ** (np.arange(0, spatial, 2, dtype=np.float32) / spatial))
        self.inv_freq = paddle.to_tensor(inv.astype(np.float32))

    def forward(self, pos_hw: paddle.Tensor):
        """pos_hw: (n, 2) -> cos, signed sin (see `apply_rotary`): (n, head_dim) in float32."""
        freqs = pos_hw.astype("float32").unsqueeze(-1) * self.inv_freq  # (n, 2, head_dim/4)
        freqs = freqs.reshape([freqs.shape[0], -1])
        emb = paddle.concat([freqs, freqs], axis=-1)
        return paddle.cos(emb), signed_sin(paddle.sin(emb))


class PatchEmbed(nn.Layer):
    """Conv3d with kernel = stride = (2, 14, 14), computed as one matmul on the flattened patches."""

    def __init__(self, patch_size: int, temporal_patch_size: int, in_chans: int, embed_dim: int):
        super().__init__()
        self.embed_dim = embed_dim
        k = [temporal_patch_size, patch_size, patch_size]
        self.proj = nn.Conv3D(in_chans, embed_dim, kernel_size=k, stride=k, bias_attr=False)

    def forward(self, pixel_values: paddle.Tensor) -> paddle.Tensor:
        """pixel_values: (num_patches, c * t * p * p) -> (num_patches, embed_dim)."""
        # A conv whose kernel covers its whole input is a matmul; this skips Conv3D's im2col on CPU.
        w = self.proj.weight.reshape([self.embed_dim, -1])
        return paddle.matmul(pixel_values.astype(w.dtype), w, transpose_y=True)


class VisionAttention(nn.Layer):
    """Bidirectional attention within segments, with fused qkv and the 2-D rotary."""

    def __init__(self, dim: int, num_heads: int, backend: str):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.backend = backend
        self.qkv = Linear(dim, dim * 3)
        self.proj = Linear(dim, dim)

    def forward(self, x, cu_seqlens, cos, sin):
        """x: (n, dim); cos/sin: (n, heads, head_dim) (`expand_heads`) -> (n, dim)."""
        n = x.shape[0]
        q, k, v = self.qkv(x).reshape([n, 3, self.num_heads, self.head_dim]).unbind(axis=1)
        if q.dtype == paddle.float32:
            q, k = apply_rotary(q, cos, sin), apply_rotary(k, cos, sin)
        else:  # the rotary in float32, as transformers
            dtype = q.dtype
            q = apply_rotary(q.astype("float32"), cos, sin).astype(dtype)
            k = apply_rotary(k.astype("float32"), cos, sin).astype(dtype)
        out = attention(q, k, v, scale=self.head_dim**-0.5, backend=self.backend, cu_seqlens=cu_seqlens)
        return self.proj(out.reshape([n, -1]))


class VisionMlp(nn.Layer):
    """fc1 -> activation -> fc2."""

    def __init__(self, dim: int, hidden_dim: int, act: str):
        super().__init__()
        self.fc1 = Linear(dim, hidden_dim)
        self.act = get_activation(act)
        self.fc2 = Linear(hidden_dim, dim)

    def forward(self, x):
        """x: (n, dim) -> (n, dim)."""
        return self.fc2(self.act(self.fc1(x)))


class Qwen2VLVisionBlock(nn.Layer):
    """Pre-norm ViT block: LayerNorm + attention, LayerNorm + QuickGELU MLP."""

    def __init__(self, config: Qwen2VLVisionConfig, backend: str):
        super().__init__()
        dim = config.width
        self.norm1 = nn.LayerNorm(dim, epsilon=1e-6)
        self.norm2 = nn.LayerNorm(dim, epsilon=1e-6)
        self.attn = VisionAttention(dim, config.num_heads, backend)
        self.mlp = VisionMlp(dim, int(dim * config.mlp_ratio), config.hidden_act)

    def forward(self, x, cu_seqlens, cos, sin):
        """x: (n, dim) -> (n, dim)."""
        x = x + self.attn(self.norm1(x), cu_seqlens, cos, sin)
        return x + self.mlp(self.norm2(x))


class PatchMerger(nn.Layer):
    """Normalize, fold each merge x merge block of patches into one vector, and project to the text width."""

    def __init__(self, dim: int, context_dim: int, merge: int):
        super().__init__()
        self.hidden = context_dim * merge**2
        self.ln_q = self.make_norm(context_dim)
        self.mlp = nn.Sequential(Linear(self.hidden, self.hidden), nn.GELU(), Linear(self.hidden, dim))

    def make_norm(self, dim: int) -> nn.Layer:
        """The norm before folding: LayerNorm here, RMSNorm in Qwen2.5-VL."""
        return nn.LayerNorm(dim, epsilon=1e-6)

    def forward(self, x):
        """x: (n, context_dim) -> (n / merge^2, dim)."""
        return self.mlp(self.ln_q(x).reshape([-1, self.hidden]))


class Qwen2VLVisionTransformer(nn.Layer):
    """The vision tower: pixel patches -> merged tokens in the text embedding space."""

    block_class = Qwen2VLVisionBlock
    merger_class = PatchMerger

    def __init__(self, config: Qwen2VLVisionConfig, backend: str = "eager", recompute: bool = False):
        super().__init__()
        self.config = config
        self.recompute = recompute
        self.merge = config.spatial_merge_size
        self.patch_embed = PatchEmbed(
            config.patch_size, config.temporal_patch_size, config.in_chans, config.width
        )
        self.rotary_pos_emb = VisionRotaryEmbedding(config.head_dim, config.rope_theta)
        self.blocks = nn.LayerList([self.block_class(config, backend) for _ in range(config.depth)])
        self.merger = self.merger_class(config.out_hidden_size, config.width, self.merge)

    def run_blocks(self, x, segments_per_block, cos, sin):
        """Apply every block; `segments_per_block[i]` are block i's attention segment bounds."""
        for blk, cu in zip(self.blocks, segments_per_block):
            if self.recompute and self.training:
                x = recompute(blk, x, cu, cos, sin)
            else:
                x = blk(x, cu, cos, sin)
        return x

    def forward(self, pixel_values: paddle.Tensor, grid_thw) -> paddle.Tensor:
        """pixel_values: (num_patches, 1176), grid_thw: (num_images, 3) -> (num_patches / merge^2, out_hidden)."""
        grid = grid_thw.numpy() if isinstance(grid_thw, paddle.Tensor) else np.asarray(grid_thw)
        self.check_patches(pixel_values, grid)
        x = self.patch_embed(pixel_values)
        cos, sin = self.rotary_pos_emb(paddle.to_tensor(vision_position_ids(grid, self.merge)))
        cos, sin = expand_heads(cos, self.config.num_heads), expand_heads(sin, self.config.num_heads)
        cu = image_cu_seqlens(grid)
        x = self.run_blocks(x, [cu] * len(self.blocks), cos, sin)
        return self.merger(x)

    def check_patches(self, pixel_values, grid: np.ndarray) -> None:
        """Fail early, naming the shapes, when pixel_values and grid_thw disagree."""
        expected = int(np.prod(grid, axis=-1).sum())
        c = self.config
        width = c.in_chans * c.temporal_patch_size * c.patch_size**2
        if pixel_values.ndim != 2 or pixel_values.shape[0] != expected or pixel_values.shape[1] != width:
            raise ValueError(
                f"pixel_values has shape {list(pixel_values.shape)}, but image_grid_thw {grid.tolist()} "
                f"needs ({expected}, {width})"
            )
        if (grid[:, 1:] % self.merge).any():
            raise ValueError(f"image_grid_thw {grid.tolist()}: h and w must be multiples of {self.merge}")
