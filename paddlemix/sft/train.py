"""Supervised fine-tuning of Qwen2-VL / Qwen2.5-VL (full or LoRA).

    python -m paddlemix.sft.train --config configs/sft_counting.yaml [--flag value ...]
    python -m paddle.distributed.launch --nproc_per_node N python -m paddlemix.sft.train --config ... [--sharding stage1]
    python -m paddlemix.sft.train --print_config --config ... [--flag value ...]   (the resolved config, as YAML)

Flags are the fields of `paddlemix/sft/config.py`, `paddlemix/peft/options.py` and
`paddlemix/training/config.py` (`--help` lists them).
"""

from __future__ import annotations

from paddlemix.sft.config import SFTConfig
from paddlemix.sft.trainer import SFTTrainer
from paddlemix.training.entry import run_training, train_main

PROG = "python -m paddlemix.sft.train"


def main(argv: list[str] | None = None) -> None:
    """Parse the config, set up the process group and train."""
    train_main(SFTConfig, SFTTrainer, PROG, argv)


if __name__ == "__main__":
    run_training(SFTConfig, SFTTrainer, PROG)
