"""Activations by the names that hub configs use (`hidden_act`)."""

from __future__ import annotations

import paddle
import paddle.nn as nn
import paddle.nn.functional as F


class QuickGELU(nn.Layer):
    """x * sigmoid(1.702 x): the activation of Qwen2-VL's vision MLP."""

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        """Elementwise QuickGELU."""
        return x * F.sigmoid(1.702 * x)


_ACTIVATIONS = {
    "quick_gelu": QuickGELU,
    "silu": nn.Silu,
    "gelu": nn.GELU,
    "gelu_pytorch_tanh": lambda: nn.GELU(approximate=True),
}


def get_activation(name: str) -> nn.Layer:
    """Return the activation layer for a config's `hidden_act`."""
    if name not in _ACTIVATIONS:
        raise ValueError(f"unknown hidden_act {name!r}; known: {sorted(_ACTIVATIONS)}")
    return _ACTIVATIONS[name]()
