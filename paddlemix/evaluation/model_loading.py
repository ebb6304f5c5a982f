"""The eval's model and processor, loaded from a checkpoint in the dtype and attention backend asked for.

Any folder training writes is a model here (`paddlemix.export.load_trained_model`): a hub-layout folder,
the final output_dir, a full `checkpoint-N`, or a LoRA `checkpoint-N` (base model + adapters, merged).
"""

from __future__ import annotations

import paddle

from paddlemix.evaluation.config import EvalConfig
from paddlemix.export import load_trained_model
from paddlemix.models.runtime import resolve_attn, resolve_dtype
from paddlemix.processors import Qwen2VLProcessor


def load_model_and_processor(cfg: EvalConfig):
    """The model (eval mode, in the resolved dtype) and its processor, from `cfg.model_path`."""
    paddle.seed(cfg.seed)
    dtype = resolve_dtype(cfg.dtype)
    model = load_trained_model(
        cfg.model_path, dtype=dtype, attn_implementation=resolve_attn(cfg.attn_implementation, dtype)
    )
    processor = Qwen2VLProcessor.from_pretrained(
        cfg.model_path, min_pixels=cfg.min_pixels, max_pixels=cfg.max_pixels
    )
    return model, processor
