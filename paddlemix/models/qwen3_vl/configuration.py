"""Qwen3-VL (dense) configuration: Qwen2-VL's, with the Qwen3 decoder fields and the DeepStack vision tower.

The published `config.json` is nested: text fields under `text_config` (RoPE as `rope_scaling:
{mrope_section, mrope_interleaved}` beside `rope_theta`, or transformers >= 5's `rope_parameters`), the
vision tower under `vision_config`. The flat form (text fields at the top level) is read as well.
`to_hub_dict` writes the published nested form, so transformers and serving engines load the export.
The MoE variants (`qwen3_vl_moe`) are a different model type and are refused by `models/auto.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from ..qwen2_vl.configuration import Qwen2VLConfig, VisionConfigBase

# Keys that the published config keeps at the top level; every other text field sits under `text_config`.
TOP_LEVEL_KEYS = (
    "architectures",
    "image_token_id",
    "video_token_id",
    "vision_start_token_id",
    "vision_end_token_id",
    "tie_word_embeddings",
    "transformers_version",
    "torch_dtype",
)


@dataclass
class Qwen3VLVisionConfig(VisionConfigBase):
    """Vision tower of Qwen3-VL: LayerNorm + GELU(tanh) ViT, learned interpolated positions, DeepStack mergers."""

    depth: int = 27
    hidden_size: int = 1152  # width of the vision blocks
    intermediate_size: int = 4304  # fc1 width
    num_heads: int = 16
    out_hidden_size: int = 3584  # merger output width (= text hidden size)
    in_chans: int = 3
    patch_size: int = 16
    spatial_merge_size: int = 2
    temporal_patch_size: int = 2
    hidden_act: str = "gelu_pytorch_tanh"
    num_position_embeddings: int = 2304  # a square table (48 x 48) resampled bilinearly to each image's grid
    deepstack_visual_indexes: list = field(
        default_factory=lambda: [8, 16, 24]
    )  # blocks feeding text layers 0..
    rope_theta: float = 10000.0
    extra: dict = field(default_factory=dict, repr=False)

    @property
    def width(self) -> int:
        """Width of the residual stream inside the vision blocks."""
        return self.hidden_size

    def to_hub_dict(self) -> dict:
        """The published `vision_config` (which spells the channel count `in_channels`)."""
        out = super().to_hub_dict()
        out["in_channels"] = out.pop("in_chans")
        return out


@dataclass
class Qwen3VLConfig(Qwen2VLConfig):
    """Qwen3-VL: Qwen3 decoder layers (q/k RMSNorm, no q/k/v bias, explicit head_dim, interleaved M-RoPE)."""

    model_type: ClassVar[str] = "qwen3_vl"
    vision_config_class: ClassVar[type] = Qwen3VLVisionConfig
    head_dim_derived: ClassVar[bool] = False

    hidden_size: int = 2048
    intermediate_size: int = 6144
    num_hidden_layers: int = 28
    num_attention_heads: int = 16
    num_key_value_heads: int = 8
    head_dim: int = 128
    rope_theta: float = 5000000.0
    mrope_section: list = field(default_factory=lambda: [24, 20, 20])  # (t, h, w) counts, interleaved
    mrope_interleaved: bool = (
        True  # the t/h/w frequencies alternate (t h w t h w ...) instead of forming blocks
    )
    max_position_embeddings: int = 262144
    tie_word_embeddings: bool = True
    vision_config: Qwen3VLVisionConfig = field(default_factory=Qwen3VLVisionConfig)

    def validate(self) -> None:
        """Qwen2-VL's checks, plus the ones interleaving adds."""
        super().validate()
        if not self.mrope_interleaved:
            raise ValueError(
                "config: Qwen3-VL needs rope mrope_interleaved: true (its checkpoints are trained so)"
            )
        half = self.head_dim // 2
        if 3 * max(self.mrope_section[1:]) > half:
            raise ValueError(
                f"config: interleaved mrope_section {self.mrope_section} needs 3 * max(h, w) <= head_dim/2 = {half}"
            )

    @classmethod
    def from_dict(cls, d: dict, **overrides) -> Qwen3VLConfig:
        """Build from the published nested config (or the flat form); see the module docstring."""
        d = dict(d)
        text = dict(d.get("text_config") or {})
        rope = {}
        for src in (d, text):
            for key in ("rope_scaling", "rope_parameters"):
                rope.update(src.get(key) or {})
        if "mrope_interleaved" in rope:
            d.setdefault("mrope_interleaved", bool(rope["mrope_interleaved"]))
        return super().from_dict(d, **overrides)

    def to_hub_dict(self) -> dict:
        """Return the published nested `config.json`."""
        flat = super().to_hub_dict()
        flat.pop("rope_scaling")
        top = {k: flat.pop(k) for k in TOP_LEVEL_KEYS if k in flat}
        top["model_type"] = flat.pop("model_type")
        top["vision_config"] = flat.pop("vision_config")
        flat.pop("mrope_interleaved")
        text = dict(flat)
        text["model_type"] = "qwen3_vl_text"
        text["rope_scaling"] = {
            "rope_type": "default",
            "mrope_section": list(self.mrope_section),
            "mrope_interleaved": self.mrope_interleaved,
        }
        text["tie_word_embeddings"] = self.tie_word_embeddings
        top["text_config"] = text
        return top

    @property
    def architecture(self) -> str:
        """The transformers class name that serves this checkpoint."""
        return "Qwen3VLForConditionalGeneration"
