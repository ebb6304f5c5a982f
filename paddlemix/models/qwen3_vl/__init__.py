"""Qwen3-VL (dense): Qwen3 decoder with interleaved M-RoPE, and a vision tower with learned positions and DeepStack."""

from .configuration import Qwen3VLConfig, Qwen3VLVisionConfig
from .modeling import Qwen3VLForConditionalGeneration

__all__ = ["Qwen3VLConfig", "Qwen3VLForConditionalGeneration", "Qwen3VLVisionConfig"]
