"""Qwen2-VL: configuration, vision tower, M-RoPE text decoder and the conditional-generation model."""

from .configuration import Qwen2VLConfig, Qwen2VLVisionConfig
from .modeling import CausalLMOutput, Qwen2VLForConditionalGeneration
from .rope_index import get_rope_index

__all__ = [
    "CausalLMOutput",
    "Qwen2VLConfig",
    "Qwen2VLForConditionalGeneration",
    "Qwen2VLVisionConfig",
    "get_rope_index",
]
