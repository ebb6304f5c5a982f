"""The LoRA section of a trainer's config (`--lora_rank` and friends), shared by the SFT and GRPO trainers."""

from __future__ import annotations

from dataclasses import dataclass

from paddlemix.config import ConfigError, is_set, opt
from paddlemix.peft.lora import DEFAULT_TARGET_MODULES, LoraConfig


@dataclass
class LoraOptions:
    """LoRA adapters on the text decoder; everything else frozen unless named below."""

    lora_rank: int = opt(0, "LoRA rank r; 0 trains the full model without adapters")
    lora_alpha: float = opt(16.0, "LoRA alpha: the update is scaled by alpha / rank")
    lora_dropout: float = opt(0.0, "dropout on the adapters' input while training")
    lora_target_modules: list[str] = opt(
        doc="last names of the text decoder's Linears that get adapters",
        factory=lambda: list(DEFAULT_TARGET_MODULES),
    )
    lora_train_merger: bool = opt(
        False, "with LoRA, also train the vision merger in full (VLM-R1's projector)"
    )
    lora_train_vision_tower: bool = opt(
        False, "with LoRA, also train the vision tower (not the merger) in full"
    )

    def __post_init__(self):
        """Check ranges, and options that would do nothing without LoRA."""
        if self.lora_rank < 0:
            raise ConfigError(f"--lora_rank must be >= 0, got {self.lora_rank}")
        if not self.lora_rank:
            unused = [
                name
                for name in (
                    "lora_alpha",
                    "lora_dropout",
                    "lora_target_modules",
                    "lora_train_merger",
                    "lora_train_vision_tower",
                )
                if is_set(self, name)
            ]
            if unused:
                raise ConfigError(f"--{unused[0]} has no effect without --lora_rank > 0")
            return
        try:
            self.lora_config()
        except ValueError as error:
            raise ConfigError(str(error)) from None

    @property
    def enabled(self) -> bool:
        """Whether the run trains LoRA adapters."""
        return self.lora_rank > 0

    def lora_config(self) -> LoraConfig:
        """The `LoraConfig` these options describe."""
        return LoraConfig(
            rank=self.lora_rank,
            alpha=self.lora_alpha,
            dropout=self.lora_dropout,
            target_modules=tuple(self.lora_target_modules),
            freeze_vision_tower=not self.lora_train_vision_tower,
            freeze_merger=not self.lora_train_merger,
        )

    def check_model_options(self, freeze_vision: bool) -> None:
        """A ConfigError when the model section's `freeze_vision` would be ignored under LoRA."""
        if self.enabled and freeze_vision:
            raise ConfigError(
                "--freeze_vision has no effect with --lora_rank > 0 (LoRA freezes the vision tower unless "
                "--lora_train_vision_tower / --lora_train_merger)"
            )
