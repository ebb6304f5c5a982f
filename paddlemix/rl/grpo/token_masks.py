"""Which completion tokens train: the high-entropy selection and the truncated-completion mask.

Shapes: n completions, T completion tokens; `mask` (n, T) is 1 through the first eos, 0 on padding.

    high_entropy_mask     the top-q highest-entropy tokens ("Beyond the 80/20 rule", trl's
                          `top_entropy_quantile`): a token is kept when its entropy is >= the (1 − q) quantile
                          (linear interpolation, as torch.quantile) of the entropies under `mask`
    truncated_rows        completions that never reached an eos (cut at max_completion_length): DAPO's
                          `mask_truncated_completions` gives them no loss
"""

from __future__ import annotations

import numpy as np
import paddle


def high_entropy_mask(entropies: paddle.Tensor, mask: paddle.Tensor, quantile: float) -> paddle.Tensor:
    """(n, T) bool: the tokens of `mask` whose entropy (n, T) is in the top `quantile` (0 keeps the largest).

    The threshold is over the tokens passed in (trl's is over its micro-batch, gathered across ranks).
    """
    if not 0.0 <= quantile <= 1.0:
        raise ValueError(f"quantile must be in [0, 1], got {quantile}")
    keep = mask.astype("bool")
    values = entropies.detach().astype("float32").numpy()[keep.numpy()]
    if values.size == 0:
        return paddle.zeros(mask.shape, dtype="bool")
    threshold = float(np.quantile(values, 1.0 - quantile))
    return paddle.logical_and(entropies.detach().astype("float32") >= threshold, keep)


def truncated_rows(completion_ids: paddle.Tensor, mask: paddle.Tensor, eos: list[int]) -> paddle.Tensor:
    """(n,) bool: the completions (n, T) whose last counted token (under `mask` (n, T)) is not an eos id."""
    lengths = mask.astype("int64").sum(axis=1)
    last = paddle.take_along_axis(
        completion_ids.astype("int64"), paddle.clip(lengths - 1, min=0).unsqueeze(-1), axis=1
    ).reshape([-1])
    ends = (last.unsqueeze(-1) == paddle.to_tensor(eos or [-1], dtype="int64")).any(axis=-1)
    return paddle.logical_and(paddle.logical_not(ends), lengths > 0)
