"""Paddle-native Qwen2-VL, Qwen2.5-VL and Qwen3-VL (dense), loading Hugging Face checkpoints as published."""

from .auto import MODEL_CLASSES, AutoModelForConditionalGeneration, model_class_for
from .checkpoint import CheckpointError
from .hub import ModelNotFound, resolve_model_path
from .qwen2_5_vl import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration
from .qwen2_vl import Qwen2VLConfig, Qwen2VLForConditionalGeneration, get_rope_index
from .qwen3_vl import Qwen3VLConfig, Qwen3VLForConditionalGeneration

__all__ = [
    "MODEL_CLASSES",
    "AutoModelForConditionalGeneration",
    "CheckpointError",
    "ModelNotFound",
    "Qwen2VLConfig",
    "Qwen2VLForConditionalGeneration",
    "Qwen2_5_VLConfig",
    "Qwen2_5_VLForConditionalGeneration",
    "Qwen3VLConfig",
    "Qwen3VLForConditionalGeneration",
    "get_rope_index",
    "model_class_for",
    "resolve_model_path",
]
