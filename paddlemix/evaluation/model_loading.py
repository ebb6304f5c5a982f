"""The eval's model and processor, loaded from a checkpoint in the dtype and attention backend asked for."""

from __future__ import annotations

import paddle

from paddlemix.evaluation.config import EvalConfig
from paddlemix.models import AutoModelForConditionalGeneration
from paddlemix.models.runtime import resolve_attn, resolve_dtype
from paddlemix.processors import Qwen2VLProcessor


def load_model_and_processor(cfg: EvalConfig):
    """The model (eval mode, in the resolved dtype) and its processor, from `cfg.model_path`."""
    paddle.seed(cfg.seed)
    dtype = resolve_dtype(cfg.dtype)
    model = AutoModelForConditionalGeneration.from_pretrained(
        cfg.model_path, dtype=dtype, attn_implementation=resolve_attn(cfg.attn_implementation, dtype)
    )
    processor = Qwen2VLProcessor.from_pretrained(
        cfg.model_path, min_pixels=cfg.min_pixels, max_pixels=cfg.max_pixels
    )
    return model, processor
