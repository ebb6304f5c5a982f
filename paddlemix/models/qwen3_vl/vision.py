"""Qwen3-VL vision tower, written as its differences from Qwen2-VL's.

- patch embedding: the Conv3d has a bias, and patches are 16 px (one merged token per 32 x 32 pixels);
- learned absolute positions: a square `num_position_embeddings` table, bilinearly resampled (corners
  aligned) to each image's patch grid and added to the patch embeddings, besides the 2-D rotary;
- blocks: LayerNorm + attention, LayerNorm + `linear_fc1` / GELU(tanh) / `linear_fc2`;
- mergers named `norm`, `linear_fc1`, `linear_fc2`;
- DeepStack: the outputs of the blocks in `deepstack_visual_indexes` each go through a merger of their own
  (normalised after the 2x2 fold) and are added to the outputs of text layers 0, 1, ... at the image tokens.
"""

from __future__ import annotations

import numpy as np
import paddle
import paddle.nn as nn
from paddle.distributed.fleet.utils import recompute

from ..activations import get_activation
from ..linear import Linear
from ..qwen2_vl.vision import (
    PatchEmbed,
    Qwen2VLVisionBlock,
    Qwen2VLVisionTransformer,
    VisionAttention,
    VisionRotaryEmbedding,
    expand_heads,
    image_cu_seqlens,
    vision_position_ids,
)
from .configuration import Qwen3VLVisionConfig


def position_embedding_taps(grid_thw: np.ndarray, side: int, merge: int) -> tuple[np.ndarray, np.ndarray]:
    """Bilinear resampling of a (side, side) position table to each image's (h, w) patch grid.

    Returns indices (num_patches, 4) into the flattened table and weights (num_patches, 4) float32, in the
    processor's block-major patch order (see `vision_position_ids`), with corners aligned: patch row r of an
    h-row grid samples table row r * (side - 1) / (h - 1). The arithmetic is float32, as in transformers.
    """
    pos = vision_position_ids(grid_thw, merge)
    sizes = np.repeat(grid_thw[:, 1:], grid_thw.prod(axis=1), axis=0)
    taps, weights = [], []
    for axis in (0, 1):
        src = pos[:, axis].astype(np.float32) * np.float32(side - 1)
        src = src / np.maximum(sizes[:, axis] - 1, 1).astype(np.float32)
        floor = np.floor(src)
        offsets = np.arange(2)
        taps.append(np.clip(floor.astype(np.int64)[:, None] + offsets, 0, side - 1))
        dist = np.abs(src[:, None] - floor[:, None] - offsets.astype(np.float32))
        weights.append(np.clip(np.float32(1) - dist, 0, None).astype(np.float32))
    index = (taps[0][:, :, None] * side + taps[1][:, None, :]).reshape(-1, 4)
    weight = (weights[0][:, :, None] * weights[1][:, None, :]).reshape(-1, 4)
    return index, weight.astype(np.float32)


class BiasedPatchEmbed(PatchEmbed):
    """Qwen2-VL's patch embedding with the Conv3d bias."""

    def __init__(self, patch_size: int, temporal_patch_size: int, in_chans: int, embed_dim: int):
        super(PatchEmbed, self).__init__()
        self.embed_dim = embed_dim
        k = [temporal_patch_size, patch_size, patch_size]
        self.proj = nn.Conv3D(in_chans, embed_dim, kernel_size=k, stride=k)

    def forward(self, pixel_values: paddle.Tensor) -> paddle.Tensor:
        """pixel_values: (num_patches, c * t * p * p) -> (num_patches, embed_dim)."""
        return super().forward(pixel_values) + self.proj.bias


class Qwen3VLVisionMLP(nn.Layer):
    """linear_fc1 -> activation -> linear_fc2."""

    def __init__(self, dim: int, hidden_dim: int, act: str):
        super().__init__()
        self.linear_fc1 = Linear(dim, hidden_dim)
        self.act = get_activation(act)
        self.linear_fc2 = Linear(hidden_dim, dim)

    def forward(self, x):
        """x: (n, dim) -> (n, dim)."""
        return self.linear_fc2(self.act(self.linear_fc1(x)))


class Qwen3VLVisionBlock(Qwen2VLVisionBlock):
    """Qwen2-VL's block with the `linear_fc1` / `linear_fc2` MLP."""

    def __init__(self, config: Qwen3VLVisionConfig, backend: str):
        super(Qwen2VLVisionBlock, self).__init__()
        dim = config.width
        self.norm1 = nn.LayerNorm(dim, epsilon=1e-6)
        self.norm2 = nn.LayerNorm(dim, epsilon=1e-6)
        self.attn = VisionAttention(dim, config.num_heads, backend)
        self.mlp = Qwen3VLVisionMLP(dim, config.intermediate_size, config.hidden_act)


class Qwen3VLPatchMerger(nn.Layer):
    """Fold each merge x merge block into one vector and project to the text width.

    The main merger normalises each patch before folding; the DeepStack mergers (`postshuffle_norm`)
    normalise the folded vector.
    """

    def __init__(self, dim: int, context_dim: int, merge: int, postshuffle_norm: bool = False):
        super().__init__()
        self.hidden = context_dim * merge**2
        self.postshuffle_norm = postshuffle_norm
        self.norm = nn.LayerNorm(self.hidden if postshuffle_norm else context_dim, epsilon=1e-6)
        self.linear_fc1 = Linear(self.hidden, self.hidden)
        self.act_fn = nn.GELU()
        self.linear_fc2 = Linear(self.hidden, dim)

    def forward(self, x):
        """x: (n, context_dim) -> (n / merge^2, dim)."""
        if self.postshuffle_norm:
            x = self.norm(x.reshape([-1, self.hidden]))
        else:
            x = self.norm(x).reshape([-1, self.hidden])
        return self.linear_fc2(self.act_fn(self.linear_fc1(x)))


class Qwen3VLVisionTransformer(Qwen2VLVisionTransformer):
    """Qwen2-VL's tower with learned positions and DeepStack outputs."""

    block_class = Qwen3VLVisionBlock

    def __init__(self, config: Qwen3VLVisionConfig, backend: str = "eager", recompute: bool = False):
        nn.Layer.__init__(self)
        self.config = config
        self.recompute = recompute
        self.merge = config.spatial_merge_size
        self.patch_embed = BiasedPatchEmbed(
            config.patch_size, config.temporal_patch_size, config.in_chans, config.width
        )
        self.side = int(round(config.num_position_embeddings**0.5))
        if self.side**2 != config.num_position_embeddings:
            raise ValueError(
                f"config: vision num_position_embeddings {config.num_position_embeddings} is not a square"
            )
        self.pos_embed = nn.Embedding(config.num_position_embeddings, config.width)
        self.rotary_pos_emb = VisionRotaryEmbedding(config.head_dim, config.rope_theta)
        self.blocks = nn.LayerList([self.block_class(config, backend) for _ in range(config.depth)])
        self.merger = Qwen3VLPatchMerger(config.out_hidden_size, config.width, self.merge)
        self.deepstack_visual_indexes = [int(i) for i in config.deepstack_visual_indexes]
        bad = [i for i in self.deepstack_visual_indexes if not 0 <= i < config.depth]
        if bad:
            raise ValueError(
                f"config: deepstack_visual_indexes {bad} are not blocks of a depth-{config.depth} tower"
            )
        self.deepstack_merger_list = nn.LayerList(
            [
                Qwen3VLPatchMerger(config.out_hidden_size, config.width, self.merge, postshuffle_norm=True)
                for _ in self.deepstack_visual_indexes
            ]
        )

    def forward(self, pixel_values: paddle.Tensor, grid_thw):
        """pixel_values: (num_patches, 1536), grid_thw: (num_images, 3) -> merged tokens (num_patches / merge^2,
        out_hidden) and the DeepStack features, a list of tensors of that shape (one per `deepstack_visual_indexes`).
        """
        grid = grid_thw.numpy() if isinstance(grid_thw, paddle.Tensor) else np.asarray(grid_thw)
        self.check_patches(pixel_values, grid)
        x = self.patch_embed(pixel_values)
        index, weight = position_embedding_taps(grid, self.side, self.merge)
        taps = self.pos_embed(paddle.to_tensor(index))  # (n, 4, width)
        pos = (taps * paddle.to_tensor(weight).astype(taps.dtype).unsqueeze(-1)).sum(axis=1)
        x = x + pos.astype(x.dtype)
        cos, sin = self.rotary_pos_emb(paddle.to_tensor(vision_position_ids(grid, self.merge)))
        cos, sin = expand_heads(cos, self.config.num_heads), expand_heads(sin, self.config.num_heads)
        cu = image_cu_seqlens(grid)
        deepstack = []
        for i, blk in enumerate(self.blocks):
            x = self.run_block(blk, x, cu, cos, sin)
            if i in self.deepstack_visual_indexes:
                merger = self.deepstack_merger_list[self.deepstack_visual_indexes.index(i)]
                deepstack.append(merger(x))
        return self.merger(x), deepstack

    def run_block(self, blk, x, cu, cos, sin):
        """One block, with activation recomputation when training with `recompute`."""
        if self.recompute and self.training:
            return recompute(blk, x, cu, cos, sin)
        return blk(x, cu, cos, sin)
