"""Qwen2.5-VL: Qwen2-VL's decoder with a windowed RMSNorm/SwiGLU vision tower."""

from .configuration import Qwen2_5_VLConfig, Qwen2_5_VLVisionConfig
from .modeling import Qwen2_5_VLForConditionalGeneration

__all__ = ["Qwen2_5_VLConfig", "Qwen2_5_VLForConditionalGeneration", "Qwen2_5_VLVisionConfig"]
