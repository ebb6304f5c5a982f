"""Qwen2_5_VLForConditionalGeneration: Qwen2-VL's model with the windowed vision tower.

Image positions are as in Qwen2-VL (videos, whose temporal positions differ, are not supported).
"""

from __future__ import annotations

from ..qwen2_vl.modeling import Qwen2VLForConditionalGeneration
from .configuration import Qwen2_5_VLConfig
from .vision import Qwen2_5_VLVisionTransformer


class Qwen2_5_VLForConditionalGeneration(Qwen2VLForConditionalGeneration):
    """Qwen2.5-VL with its hub names: `model.*`, `visual.*`, `lm_head`."""

    config_class = Qwen2_5_VLConfig
    vision_class = Qwen2_5_VLVisionTransformer
