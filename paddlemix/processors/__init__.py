"""Processors: chat template, tokenizer and image preprocessing for Qwen2-VL / Qwen2.5-VL / Qwen3-VL."""

from paddlemix.processors.image_processor import Qwen2VLImageProcessor, Qwen3VLImageProcessor, smart_resize
from paddlemix.processors.processor import Qwen2_5_VLProcessor, Qwen2VLProcessor, Qwen3VLProcessor
from paddlemix.processors.tokenizer import Qwen2Tokenizer

__all__ = [
    "Qwen2VLImageProcessor",
    "Qwen2VLProcessor",
    "Qwen2_5_VLProcessor",
    "Qwen3VLImageProcessor",
    "Qwen3VLProcessor",
    "Qwen2Tokenizer",
    "smart_resize",
]
