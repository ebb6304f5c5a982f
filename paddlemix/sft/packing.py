"""Packing several SFT sequences into one row (`--packing`), with attention and positions kept per sample.

A pack is the concatenation of whole sequences, at most `max_seq_length` tokens long, filled greedily in
order (a sequence that does not fit starts the next pack). Each sample inside a pack sees exactly what it
would see alone:

- attention: a block-diagonal causal additive mask (1, 1, L, L): a token attends to the earlier tokens of
  its own sample only;
- positions: each sample's 3-D M-RoPE ids are computed on its own ids and images (`get_rope_index` starts
  at 0 per sample), then concatenated; a packed row never continues one sample's positions into the next.
  (RoPE scores depend on position differences only, so an offset would change the logits by rounding alone;
  starting at 0 keeps them what the sample gets alone and what generation uses);
- images: the samples' patches and grids are concatenated in order, so the vision tower (which attends
  within each image already) and the placeholder scatter line up;
- loss mask: each sample's mask, plus a 0 at every boundary, so the first token of a sample is never
  predicted from the last token of the previous one.

So a packed forward gives each sample the logits it gets alone, to float rounding, and the summed loss over
the same target tokens is unchanged; packing only removes per-forward overhead and padding.

Vision-R1's `qwen25vl_sft_config.yaml` sets `packing: true` (with max_seq_length 3072). Whether its trl
version packed at all with its own collator and `skip_prepare_dataset` is unverified; trl's packing of that
era also let attention cross samples, which this does not. Ours defaults to off.
"""

from __future__ import annotations

import numpy as np
import paddle


def pack_groups(lengths: list[int], max_len: int) -> list[list[int]]:
    """Indices of the sequences in each pack: consecutive, greedy, each pack at most `max_len` tokens."""
    packs: list[list[int]] = []
    used = 0
    for i, n in enumerate(lengths):
        if n > max_len:
            raise ValueError(f"sequence {i} has {n} tokens, more than the pack size {max_len}")
        if not packs or used + n > max_len:
            packs.append([])
            used = 0
        packs[-1].append(i)
        used += n
    return packs


def block_causal_mask(lengths: list[int]) -> paddle.Tensor:
    """Float32 additive mask (1, 1, L, L), L = sum(lengths): 0 where query and key are of one sample and the
    key is not in the query's future, float32's lowest value elsewhere (the model casts it to its dtype)."""
    segment = np.repeat(np.arange(len(lengths)), lengths)
    pos = np.arange(len(segment))
    visible = (segment[:, None] == segment[None, :]) & (pos[None, :] <= pos[:, None])
    mask = np.where(visible, 0.0, np.finfo(np.float32).min).astype("float32")
    return paddle.to_tensor(mask[None, None])


def pack(seqs: list[dict], position_ids: list[paddle.Tensor]) -> dict:
    """One packed row of `seqs` (each: input_ids (1, L_i), mask (1, L_i - 1), pixel_values, image_grid_thw)
    and their own M-RoPE ids (3, 1, L_i): input_ids (1, L), mask (1, L - 1), pixel_values, image_grid_thw,
    position_ids (3, 1, L) and the block-diagonal causal attention_mask (1, 1, L, L)."""
    lengths = [int(x["input_ids"].shape[1]) for x in seqs]
    boundary = paddle.zeros([1, 1], dtype="float32")
    masks = []
    for i, x in enumerate(seqs):
        masks.append(x["mask"].astype("float32"))
        if i + 1 < len(seqs):
            masks.append(boundary)
    return {
        "input_ids": paddle.concat([x["input_ids"] for x in seqs], axis=1),
        "mask": paddle.concat(masks, axis=1),
        "pixel_values": paddle.concat([x["pixel_values"] for x in seqs]),
        "image_grid_thw": paddle.concat([x["image_grid_thw"] for x in seqs]),
        "position_ids": paddle.concat(position_ids, axis=2),
        "attention_mask": block_causal_mask(lengths),
    }
