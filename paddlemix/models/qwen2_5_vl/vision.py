"""Qwen2.5-VL vision tower, written as its differences from Qwen2-VL's.

- blocks: RMSNorm instead of LayerNorm, a biased SwiGLU MLP instead of fc1/QuickGELU/fc2;
- merger: RMSNorm `ln_q`;
- window attention: patches are reordered so that each window of `window_size` pixels is contiguous, blocks
  outside `fullatt_block_indexes` attend within their window only, and the merged tokens are put back in
  raster order at the end.
"""

from __future__ import annotations

import numpy as np
import paddle

from ..qwen2_vl.text import Qwen2MLP
from ..qwen2_vl.vision import (
    PatchMerger,
    Qwen2VLVisionBlock,
    Qwen2VLVisionTransformer,
    VisionAttention,
    expand_heads,
    image_cu_seqlens,
    vision_position_ids,
)
from ..rms_norm import RMSNorm
from .configuration import Qwen2_5_VLVisionConfig


def window_index(grid_thw: np.ndarray, merge: int, window_size: int, patch_size: int):
    """Order of merged tokens that makes windows contiguous, and the window bounds in patches.

    Returns index (num_merged,) into the raster order and cu_window_seqlens (list). Windows at the right and
    bottom edges are cut short when the window does not divide the grid.
    """
    win = window_size // merge // patch_size
    unit = merge * merge
    index, bounds, offset = [], [0], 0
    for t, h, w in grid_thw.tolist():
        gh, gw = h // merge, w // merge
        ids = np.arange(t * gh * gw).reshape(t, gh, gw)
        nh, nw = -(-gh // win), -(-gw // win)
        padded = np.full((t, nh * win, nw * win), -1, dtype=np.int64)
        padded[:, :gh, :gw] = ids
        windows = padded.reshape(t, nh, win, nw, win).transpose(0, 1, 3, 2, 4).reshape(t * nh * nw, win * win)
        for wnd in windows:
            kept = wnd[wnd >= 0]
            if kept.size:
                index.append(kept + offset)
                bounds.append(bounds[-1] + kept.size * unit)
        offset += t * gh * gw
    return np.concatenate(index), bounds


class Qwen2_5_VLVisionBlock(Qwen2VLVisionBlock):
    """Qwen2-VL's block with RMSNorm and a biased SwiGLU MLP."""

    def __init__(self, config: Qwen2_5_VLVisionConfig, backend: str):
        super(Qwen2VLVisionBlock, self).__init__()
        dim = config.width
        self.norm1 = RMSNorm(dim, 1e-6)
        self.norm2 = RMSNorm(dim, 1e-6)
        self.attn = VisionAttention(dim, config.num_heads, backend)
        self.mlp = Qwen2MLP(dim, config.intermediate_size, config.hidden_act, bias=True)


class Qwen2_5_VLPatchMerger(PatchMerger):
    """Qwen2-VL's merger with an RMSNorm `ln_q`."""

    def make_norm(self, dim: int):
        """RMSNorm before folding."""
        return RMSNorm(dim, 1e-6)


class Qwen2_5_VLVisionTransformer(Qwen2VLVisionTransformer):
    """Qwen2-VL's tower with window attention."""

    block_class = Qwen2_5_VLVisionBlock
    merger_class = Qwen2_5_VLPatchMerger

    def forward(self, pixel_values: paddle.Tensor, grid_thw) -> paddle.Tensor:
        """pixel_values: (num_patches, 1176), grid_thw: (num_images, 3) -> (num_patches / merge^2, out_hidden)."""
        c = self.config
        grid = grid_thw.numpy() if isinstance(grid_thw, paddle.Tensor) else np.asarray(grid_thw)
        self.check_patches(pixel_values, grid)
        unit = self.merge**2
        order, cu_window = window_index(grid, self.merge, c.window_size, c.patch_size)
        order_t = paddle.to_tensor(order)

        def to_windows(t):
            return t.reshape([-1, unit, t.shape[-1]])[order_t].reshape([-1, t.shape[-1]])

        x = to_windows(self.patch_embed(pixel_values))
        cos, sin = self.rotary_pos_emb(paddle.to_tensor(vision_position_ids(grid, self.merge)))
        cos, sin = expand_heads(to_windows(cos), c.num_heads), expand_heads(to_windows(sin), c.num_heads)
        cu_full = image_cu_seqlens(grid)
        full = set(c.fullatt_block_indexes)
        segments = [cu_full if i in full else cu_window for i in range(len(self.blocks))]
        x = self.run_blocks(x, segments, cos, sin)
        merged = self.merger(x)
        return merged[paddle.to_tensor(np.argsort(order))]
