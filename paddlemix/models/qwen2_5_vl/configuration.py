"""Qwen2.5-VL configuration: Qwen2-VL's, with a windowed RMSNorm/SwiGLU vision tower."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from ..qwen2_vl.configuration import Qwen2VLConfig, VisionConfigBase


@dataclass
class Qwen2_5_VLVisionConfig(VisionConfigBase):
    """Vision tower of Qwen2.5-VL: RMSNorm + SwiGLU blocks, window attention except in `fullatt_block_indexes`."""

    depth: int = 32
    hidden_size: int = 1280  # width of the vision blocks
    intermediate_size: int = 3420  # SwiGLU width
    num_heads: int = 16
    out_hidden_size: int = 2048  # merger output width (= text hidden size)
    in_chans: int = 3
    patch_size: int = 14
    spatial_merge_size: int = 2
    temporal_patch_size: int = 2
    hidden_act: str = "silu"
    window_size: int = 112  # window side in pixels; 112 / 14 / 2 = 4 merged tokens per side
    fullatt_block_indexes: list = field(default_factory=lambda: [7, 15, 23, 31])  # blocks with full attention
    tokens_per_second: int = 2  # temporal M-RoPE ids per second of video
    rope_theta: float = 10000.0
    extra: dict = field(default_factory=dict, repr=False)

    @property
    def width(self) -> int:
        """Width of the residual stream inside the vision blocks."""
        return self.hidden_size


@dataclass
class Qwen2_5_VLConfig(Qwen2VLConfig):
    """Qwen2.5-VL: the Qwen2-VL text decoder with the Qwen2.5-VL vision tower."""

    model_type: ClassVar[str] = "qwen2_5_vl"
    vision_config_class: ClassVar[type] = Qwen2_5_VLVisionConfig

    hidden_size: int = 2048
    intermediate_size: int = 11008
    num_hidden_layers: int = 36
    num_attention_heads: int = 16
    vision_config: Qwen2_5_VLVisionConfig = field(default_factory=Qwen2_5_VLVisionConfig)

    @property
    def architecture(self) -> str:
        """The transformers class name that serves this checkpoint."""
        return "Qwen2_5_VLForConditionalGeneration"
