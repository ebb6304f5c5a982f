"""Qwen2-VL configuration: a typed mirror of the hub's `config.json`.

Two on-disk forms are read:
- the hub's flat form, as published (text fields at the top level, `rope_scaling: {type: mrope, mrope_section}`,
  `vision_config` nested);
- the nested form that transformers >= 5 writes (`text_config`, `rope_parameters`).

`to_hub_dict` always writes the flat, published form, so exports load in any HF-compatible engine.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from typing import Any, ClassVar

import paddle

from paddlemix.errors import read_json

from ..hub import resolve_model_path

ATTN_BACKENDS = ("eager", "flash")


def _known_fields(cls) -> set[str]:
    return {f.name for f in dataclasses.fields(cls) if f.init and not f.name.startswith("_")}


class VisionConfigBase:
    """Reading and writing of a hub `vision_config` dict, shared by the Qwen2-VL and Qwen2.5-VL towers."""

    aliases: ClassVar[dict] = {"in_channels": "in_chans"}

    @property
    def head_dim(self) -> int:
        """Width of one attention head."""
        return self.width // self.num_heads

    @classmethod
    def from_dict(cls, d: dict):
        """Build from a hub `vision_config` dict; unknown keys are kept in `extra`."""
        d = dict(d)
        rope = d.pop("rope_parameters", None) or {}
        if "rope_theta" in rope:
            d.setdefault("rope_theta", rope["rope_theta"])
        for src, dst in cls.aliases.items():
            if src in d:
                d.setdefault(dst, d.pop(src))
        known = _known_fields(cls) - {"extra"}
        kwargs = {k: v for k, v in d.items() if k in known}
        extra = {k: v for k, v in d.items() if k not in known}
        return cls(**kwargs, extra=extra)

    def to_hub_dict(self) -> dict:
        """Return the published `vision_config` form."""
        out = dict(self.extra)
        for f in dataclasses.fields(self):
            if f.name not in ("extra", "rope_theta"):
                out[f.name] = getattr(self, f.name)
        if self.rope_theta != 10000.0:
            out["rope_theta"] = self.rope_theta
        return out


@dataclass
class Qwen2VLVisionConfig(VisionConfigBase):
    """Vision tower of Qwen2-VL: LayerNorm + QuickGELU ViT with a 2x2 patch merger."""

    depth: int = 32  # number of vision blocks
    embed_dim: int = 1280  # width of the vision blocks
    hidden_size: int = 1536  # merger output width (= text hidden size)
    mlp_ratio: float = 4.0  # fc1 width = embed_dim * mlp_ratio
    num_heads: int = 16
    in_chans: int = 3
    patch_size: int = 14
    spatial_merge_size: int = 2  # merge x merge patches become one LLM token
    temporal_patch_size: int = 2  # frames per patch; images are duplicated to fill it
    hidden_act: str = "quick_gelu"
    rope_theta: float = 10000.0  # base of the 2-D vision rotary embedding
    extra: dict = field(default_factory=dict, repr=False)  # unknown hub keys, written back unchanged

    @property
    def width(self) -> int:
        """Width of the residual stream inside the vision blocks."""
        return self.embed_dim

    @property
    def out_hidden_size(self) -> int:
        """Width of the merged tokens handed to the text decoder."""
        return self.hidden_size


@dataclass
class Qwen2VLConfig:
    """Qwen2-VL: the Qwen2 text decoder (GQA, q/k/v bias, RMSNorm, SwiGLU, M-RoPE) plus the vision tower."""

    model_type: ClassVar[str] = "qwen2_vl"
    vision_config_class: ClassVar[type] = Qwen2VLVisionConfig

    vocab_size: int = 151936
    hidden_size: int = 1536
    intermediate_size: int = 8960
    num_hidden_layers: int = 28
    num_attention_heads: int = 12
    num_key_value_heads: int = 2
    hidden_act: str = "silu"
    rms_norm_eps: float = 1e-6
    rope_theta: float = 1000000.0
    mrope_section: list = field(default_factory=lambda: [16, 24, 24])  # (t, h, w) split of head_dim / 2
    max_position_embeddings: int = 32768
    tie_word_embeddings: bool = False
    bos_token_id: int = 151643
    eos_token_id: Any = 151645
    pad_token_id: Any = None
    image_token_id: int = 151655
    video_token_id: int = 151656
    vision_start_token_id: int = 151652
    vision_end_token_id: int = 151653
    torch_dtype: str = "bfloat16"  # dtype of the published weights
    vision_config: Qwen2VLVisionConfig = field(default_factory=Qwen2VLVisionConfig)
    attn_implementation: str = (
        "eager"  # "eager" (reference math, CPU) or "flash" (Paddle flash attention, GPU)
    )
    recompute: bool = False  # activation checkpointing per decoder layer and per vision block
    extra: dict = field(default_factory=dict, repr=False)  # unknown hub keys, written back unchanged

    def __post_init__(self):
        if isinstance(self.vision_config, dict):
            self.vision_config = self.vision_config_class.from_dict(self.vision_config)
        self.validate()

    head_dim_derived: ClassVar[bool] = True  # head_dim = hidden_size / num_attention_heads (Qwen3 states it)

    @property
    def head_dim(self) -> int:
        """Width of one text attention head."""
        return self.hidden_size // self.num_attention_heads

    def validate(self) -> None:
        """Reject combinations that cannot run, naming the offending keys."""
        if self.hidden_size % self.num_attention_heads and self.head_dim_derived:
            raise ValueError(
                f"config: hidden_size {self.hidden_size} is not divisible by num_attention_heads "
                f"{self.num_attention_heads}"
            )
        if self.num_attention_heads % self.num_key_value_heads:
            raise ValueError(
                f"config: num_attention_heads {self.num_attention_heads} is not a multiple of "
                f"num_key_value_heads {self.num_key_value_heads}"
            )
        if len(self.mrope_section) != 3 or sum(self.mrope_section) * 2 != self.head_dim:
            raise ValueError(
                f"config: mrope_section {self.mrope_section} must have 3 parts summing to head_dim/2 = "
                f"{self.head_dim // 2}"
            )
        if self.attn_implementation not in ATTN_BACKENDS:
            raise ValueError(
                f"config: attn_implementation {self.attn_implementation!r} is not one of {ATTN_BACKENDS}"
            )
        if self.attn_implementation == "flash" and not paddle.is_compiled_with_cuda():
            raise ValueError("config: attn_implementation 'flash' needs paddlepaddle-gpu; use 'eager' on CPU")

    @classmethod
    def from_dict(cls, d: dict, **overrides) -> Qwen2VLConfig:
        """Build from a hub config dict in the flat or the nested (transformers >= 5) form."""
        d = dict(d)
        model_type = d.pop("model_type", cls.model_type)
        if model_type != cls.model_type:
            raise ValueError(
                f"config: model_type {model_type!r} does not match {cls.__name__} ({cls.model_type!r})"
            )
        text = d.pop("text_config", None)
        if isinstance(text, dict):
            text = dict(text)
            text.pop("model_type", None)
            for k, v in text.items():
                d.setdefault(k, v)
        rope = d.pop("rope_scaling", None) or d.pop("rope_parameters", None) or {}
        d.pop("rope_parameters", None)
        if "mrope_section" in rope:
            d.setdefault("mrope_section", list(rope["mrope_section"]))
        if "rope_theta" in rope:
            d.setdefault("rope_theta", rope["rope_theta"])
        if "dtype" in d:
            d.setdefault("torch_dtype", d.pop("dtype"))
        known = _known_fields(cls) - {"extra"}
        kwargs = {k: v for k, v in d.items() if k in known}
        extra = {k: v for k, v in d.items() if k not in known}
        # Keys that transformers derives on load; writing them back would only add noise.
        for k in ("layer_types", "use_sliding_window", "sliding_window", "max_window_layers", "use_cache"):
            extra.pop(k, None)
        kwargs.update(overrides)
        return cls(**kwargs, extra=extra)

    @classmethod
    def from_pretrained(cls, path: str, **overrides) -> Qwen2VLConfig:
        """Read `config.json` from a checkpoint directory (or hub ID), or the config file `path`."""
        path = resolve_model_path(path)
        cfg_path = os.path.join(path, "config.json") if os.path.isdir(path) else path
        if not os.path.isfile(cfg_path):
            raise FileNotFoundError(f"no config.json at {cfg_path}")
        return cls.from_dict(read_json(cfg_path), **overrides)

    def to_hub_dict(self) -> dict:
        """Return the flat form of the published `config.json`."""
        out = dict(self.extra)
        skip = {"extra", "vision_config", "mrope_section", "attn_implementation", "recompute"}
        for f in dataclasses.fields(self):
            if f.name not in skip:
                out[f.name] = getattr(self, f.name)
        out["model_type"] = self.model_type
        out["rope_scaling"] = {"type": "mrope", "mrope_section": list(self.mrope_section)}
        out["vision_config"] = self.vision_config.to_hub_dict()
        out.setdefault("architectures", [self.architecture])
        return out

    @property
    def architecture(self) -> str:
        """The transformers class name that serves this checkpoint."""
        return "Qwen2VLForConditionalGeneration"

    def save_pretrained(self, path: str) -> None:
        """Write `config.json` in the published flat form."""
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, "config.json"), "w") as f:
            json.dump(self.to_hub_dict(), f, indent=2, sort_keys=True)
