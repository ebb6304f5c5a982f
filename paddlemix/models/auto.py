"""Pick the model class of a checkpoint from its `model_type`."""

from __future__ import annotations

import os

from paddlemix.errors import read_json

from .checkpoint import CheckpointError
from .hub import resolve_model_path
from .qwen2_5_vl import Qwen2_5_VLForConditionalGeneration
from .qwen2_vl import Qwen2VLForConditionalGeneration
from .qwen3_vl import Qwen3VLForConditionalGeneration

MODEL_CLASSES = {
    "qwen2_vl": Qwen2VLForConditionalGeneration,
    "qwen2_5_vl": Qwen2_5_VLForConditionalGeneration,
    "qwen3_vl": Qwen3VLForConditionalGeneration,
}

# Model types of published families that are known but not supported yet, with the reason.
UNSUPPORTED = {
    "qwen3_vl_moe": "the Qwen3-VL MoE models (30B-A3B, 235B-A22B) are not supported yet; use a dense Qwen3-VL "
    "(2B/4B/8B/32B)",
}


def model_class_for(path: str):
    """Return the model class named by `model_type` in `path`/config.json (`path` may be a hub ID)."""
    cfg_path = os.path.join(resolve_model_path(path), "config.json")
    if not os.path.isfile(cfg_path):
        raise FileNotFoundError(f"no config.json in {path}")
    model_type = read_json(cfg_path).get("model_type")
    if model_type in UNSUPPORTED:
        raise CheckpointError(f"model_type {model_type!r}: {UNSUPPORTED[model_type]}", where=cfg_path)
    if model_type not in MODEL_CLASSES:
        raise ValueError(f"{cfg_path}: unknown model_type {model_type!r}; known: {sorted(MODEL_CLASSES)}")
    return MODEL_CLASSES[model_type]


class AutoModelForConditionalGeneration:
    """`AutoModelForConditionalGeneration.from_pretrained(dir or hub ID)` loads Qwen2-VL, Qwen2.5-VL or Qwen3-VL by model_type."""

    @staticmethod
    def from_pretrained(path: str, dtype: str | None = None, **config_overrides):
        """Load the checkpoint at `path` (a folder or hub ID) with the class its config names."""
        path = resolve_model_path(path)
        return model_class_for(path).from_pretrained(path, dtype=dtype, **config_overrides)
