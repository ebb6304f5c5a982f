"""A model from any folder training writes: the final output_dir, a full checkpoint-N or a LoRA checkpoint-N.

A LoRA run's checkpoint holds only the parameters that train (`trainable.safetensors`: the adapters, and the
merger or vision tower when those train in full); the frozen rest is the model the run started from, which
`trainer_state.json` names (`source_model_dir`, else the config's `model_name_or_path`) together with the
run's LoRA options. Loading one rebuilds that: the base model, the adapters applied, the trained tensors
set, and (for a plain model) the adapters merged.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from paddlemix.errors import UserError, read_json
from paddlemix.models import AutoModelForConditionalGeneration
from paddlemix.peft import LoraConfig, apply_lora, merge_and_unload
from paddlemix.peft.options import LoraOptions
from paddlemix.training import checkpointing


@dataclass
class TrainedCheckpoint:
    """What a trainable-only checkpoint needs besides itself: the base model folder and the LoRA config."""

    path: str
    base: str
    lora: LoraConfig


def read_trained_checkpoint(path: str) -> TrainedCheckpoint | None:
    """The base model and LoRA config of a trainable-only checkpoint at `path`; None for any other folder."""
    if not os.path.isfile(os.path.join(path, checkpointing.TRAINABLE)):
        return None
    state_file = os.path.join(path, checkpointing.STATE)
    if not os.path.isfile(state_file):
        raise UserError(
            f"has {checkpointing.TRAINABLE} but no {checkpointing.STATE}, so its base model is unknown",
            where=path,
            fix="copy the whole checkpoint folder",
        )
    state = read_json(state_file)
    config = state.get("config") or {}
    candidates = [state.get("source_model_dir"), state.get("source_model")]
    candidates = [c for c in candidates if c]
    base = next((c for c in candidates if os.path.isdir(c)), candidates[-1] if candidates else None)
    if base is None:
        raise UserError(
            f"{state_file} names no source model", where=path, fix="copy the whole checkpoint folder"
        )
    lora = config.get("lora") or {}
    if not lora.get("lora_rank"):
        raise UserError(
            f"has {checkpointing.TRAINABLE} but its {checkpointing.STATE} names no LoRA options",
            where=path,
            fix="copy the whole checkpoint folder",
        )
    return TrainedCheckpoint(path, base, LoraOptions(**lora).lora_config())


def load_trained_model(path: str, dtype: str | None = None, merge: bool = True, **config_overrides):
    """The model at `path` (see the module docstring), in eval mode; LoRA adapters merged unless `merge` False.

    `config_overrides` go to `from_pretrained` (e.g. `attn_implementation`).
    """
    trained = read_trained_checkpoint(path)
    if trained is None:
        return AutoModelForConditionalGeneration.from_pretrained(path, dtype=dtype, **config_overrides)
    model = AutoModelForConditionalGeneration.from_pretrained(trained.base, dtype=dtype, **config_overrides)
    apply_lora(model, trained.lora)
    checkpointing.load_trainable(model, os.path.join(path, checkpointing.TRAINABLE))
    if merge:
        merge_and_unload(model)
    model.name_or_path = path  # processor and generation files are copied into every checkpoint
    model.eval()
    return model
