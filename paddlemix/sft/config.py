"""The SFT run's config: the SFT section here, composed with the shared sections of `paddlemix.training.config`.

    cfg = load_sft_config(["--config", "configs/sft_counting.yaml", "--max_steps", "10"])

Batch sizes count samples: one optimizer step sees per_device_train_batch_size × world size ×
gradient_accumulation_steps of them, and its loss is the mean over all their target tokens (so how the batch is
split over ranks and micro-steps does not change the gradient).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from paddlemix.config import load_config, opt, section
from paddlemix.peft.options import LoraOptions
from paddlemix.sft.conversations import CONVERSATION_SUFFIXES
from paddlemix.sft.targets import TARGET_FORMATS
from paddlemix.training.config import (
    DataConfig,
    DistributedConfig,
    ModelConfig,
    TrainerConfig,
    check,
    check_positive,
)


@dataclass
class SFTOptions:
    """What the model is trained to say, and on which tokens the loss is."""

    target_format: str = opt(
        "solution",
        "solution: the sample's solution as written | answer: only what its <answer> tags hold | "
        "vision_r1_json: Vision-R1's fenced JSON detection list, boxes in the resized-input frame (detection) | "
        "box: the one box of a REC/grounding solution as [x1,y1,x2,y2] in the model's frame | "
        "ref_box: the referring expression, then that box",
    )
    loss_on_prompt: bool = opt(
        False,
        "also train on the prompt's text tokens (Vision-R1's quirk; its extra generation prompt after the answer "
        "is not copied); image tokens never count",
    )
    max_seq_length: int = opt(
        1024, "longest prompt + target in tokens (longer samples are dropped); with packing, the pack size"
    )
    conversations: bool = opt(
        False,
        "dataset_name is a conversation .jsonl/.json (messages or conversations records with images, as "
        "LLaMA-Factory and LLaVA write them): train on each record's last assistant turn",
    )
    packing: bool = opt(
        False,
        "pack several samples into one row of up to max_seq_length tokens, attention and M-RoPE positions kept "
        "per sample (Vision-R1's config: true)",
    )

    def __post_init__(self):
        """Check values."""
        check(
            self.target_format in TARGET_FORMATS,
            f"--target_format must be one of {TARGET_FORMATS}, got {self.target_format!r}",
        )
        check_positive(self, "max_seq_length")


@dataclass
class SFTConfig:
    """Everything an SFT run reads."""

    model: ModelConfig = section(ModelConfig)
    data: DataConfig = section(DataConfig)
    sft: SFTOptions = section(SFTOptions)
    lora: LoraOptions = section(LoraOptions)
    trainer: TrainerConfig = section(TrainerConfig)
    distributed: DistributedConfig = section(DistributedConfig)

    def __post_init__(self):
        """Combinations across sections."""
        self.lora.check_model_options(self.model.freeze_vision)
        if self.sft.conversations:
            check(
                self.data.dataset_name.endswith(CONVERSATION_SUFFIXES),
                f"--conversations reads a .jsonl or .json file, got {self.data.dataset_name}",
            )
            check(
                self.data.task is None, "--task has no effect with --conversations (no task template is used)"
            )
            check(
                self.sft.target_format != "vision_r1_json",
                "--target_format vision_r1_json renders detection samples, not --conversations",
            )
        elif self.sft.target_format == "vision_r1_json" and (
            self.data.task is not None or os.path.exists(self.data.dataset_name)
        ):
            check(
                self.data.resolved_task == "detection",
                f"--target_format vision_r1_json renders detection samples; {self.data.dataset_name} is "
                f"{self.data.resolved_task}",
            )
        check(
            self.data.max_prompt_length <= self.sft.max_seq_length,
            "--max_prompt_length is larger than --max_seq_length",
        )


def load_sft_config(argv=None) -> SFTConfig:
    """The SFT config from `--config file.yaml` and command-line flags (sys.argv when None)."""
    return load_config(SFTConfig, argv)
