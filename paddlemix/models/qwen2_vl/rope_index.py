"""M-RoPE position ids: a pure function of the token ids and the image grids.

M-RoPE gives every token three position ids (temporal, height, width) and rotates a different slice of each
head with each of them (`mrope_section`, e.g. [16, 24, 24] of the 64 rotary frequencies). Text tokens get the
same id on all three axes, counting up by one. The merged tokens of an image get (t0, t0 + row, t0 + col),
where t0 is the next free id; the text after the image continues from t0 + max(rows, cols).

Worked example: `a b <img 2x3 merged> c` (after the 2x2 merge, so the image is 6 tokens):

    token:   a  b  i  i  i  i  i  i  c
    t:       0  1  2  2  2  2  2  2  5
    h:       0  1  2  2  2  3  3  3  5
    w:       0  1  2  3  4  2  3  4  5

Positions are counted over the non-padding tokens only, so left padding does not shift them. The largest id
plus one, minus the unpadded length, is the sample's `rope_delta`: while decoding, the new token at cache
length L (unpadded) sits at L + rope_delta on all three axes.

Nothing here is cached on the model, so training and generation compute positions the same way.
"""

from __future__ import annotations

import numpy as np
import paddle


def _np(x):
    if x is None:
        return None
    if isinstance(x, paddle.Tensor):
        return x.numpy()
    return np.asarray(x)


def get_rope_index(
    input_ids,
    image_grid_thw=None,
    attention_mask=None,
    *,
    spatial_merge_size: int = 2,
    image_token_id: int,
):
    """Compute 3-D M-RoPE ids (images only: the processors reject videos).

    input_ids: (batch, seq); image_grid_thw: (num_images, 3) in patches, in the order the images appear;
    attention_mask: (batch, seq) 0/1, zeros for (left) padding.
    Returns position_ids: (3, batch, seq) int64 (0 at padding) and rope_deltas: (batch, 1) int64.
    """
    ids = _np(input_ids)
    mask = _np(attention_mask)
    grids = iter(_np(image_grid_thw) if image_grid_thw is not None else [])
    bsz, seq = ids.shape
    position_ids = np.zeros((3, bsz, seq), dtype=np.int64)
    deltas = np.zeros((bsz, 1), dtype=np.int64)
    for b in range(bsz):
        keep = mask[b].astype(bool) if mask is not None else np.ones(seq, dtype=bool)
        tokens = ids[b][keep]
        is_image = tokens == image_token_id
        chunks, cur, start = [], 0, 0
        while start < len(tokens):
            end = start
            while end < len(tokens) and is_image[end] == is_image[start]:
                end += 1
            if not is_image[start]:
                n = end - start
                chunks.append(np.broadcast_to(np.arange(cur, cur + n), (3, n)))
                cur += n
            else:
                grid = next(grids, None)
                if grid is None:
                    raise ValueError(
                        f"sample {b}: more vision placeholder runs than entries in the grid list"
                    )
                t, h, w = (int(v) for v in grid)
                h, w = h // spatial_merge_size, w // spatial_merge_size
                if t * h * w != end - start:
                    raise ValueError(
                        f"sample {b}: a run of {end - start} vision tokens does not match grid {tuple(grid)} "
                        f"({t * h * w} merged tokens)"
                    )
                tpos = np.repeat(np.arange(t), h * w) + cur
                hpos = np.tile(np.repeat(np.arange(h), w), t) + cur
                wpos = np.tile(np.arange(w), t * h) + cur
                chunks.append(np.stack([tpos, hpos, wpos]))
                cur += max(h, w)
            start = end
        pos = np.concatenate(chunks, axis=1) if chunks else np.zeros((3, 0), dtype=np.int64)
        position_ids[:, b, keep] = pos
        deltas[b, 0] = (pos.max() + 1 if pos.size else 0) - len(tokens)
    return paddle.to_tensor(position_ids), paddle.to_tensor(deltas)
