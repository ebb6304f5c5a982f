"""Parameter-efficient fine-tuning: LoRA adapters, and their PEFT-layout and merged exports."""

from paddlemix.peft.lora import (
    DEFAULT_TARGET_MODULES,
    LoraConfig,
    LoraLinear,
    adapters_disabled,
    apply_lora,
    lora_layers,
    merge_adapters,
    merge_and_unload,
    merged_and_unloaded,
    save_merged,
    trainable_state_dict,
    unmerge_adapters,
)
from paddlemix.peft.peft_format import load_peft_adapters, read_adapter_config, save_peft_adapters

__all__ = [
    "DEFAULT_TARGET_MODULES",
    "LoraConfig",
    "LoraLinear",
    "adapters_disabled",
    "apply_lora",
    "load_peft_adapters",
    "lora_layers",
    "merge_adapters",
    "merge_and_unload",
    "merged_and_unloaded",
    "read_adapter_config",
    "save_merged",
    "save_peft_adapters",
    "trainable_state_dict",
    "unmerge_adapters",
]
