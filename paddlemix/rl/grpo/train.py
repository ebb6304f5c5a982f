"""Train Qwen2-VL / Qwen2.5-VL with GRPO.

    python -m paddlemix.rl.grpo.train --config configs/grpo_counting.yaml [--flag value ...]
    python -m paddle.distributed.launch --nproc_per_node N python -m paddlemix.rl.grpo.train --config ... [--sharding stage1]
    python -m paddlemix.rl.grpo.train --print_config --config ... [--flag value ...]   (the resolved config, as YAML)

A bad config, flag, data file or checkpoint prints one line `error: <where>: <what> (<fix>)` and exits 2;
`--debug` (or PADDLEMIX_DEBUG=1) shows the traceback instead.

Flags are the fields of `paddlemix/rl/grpo/config.py` and `paddlemix/training/config.py` (`--help` lists
them); the seed's run scripts' flags are among them.
"""

from __future__ import annotations

from paddlemix.rl.grpo.config import TrainConfig
from paddlemix.rl.grpo.trainer import GRPOTrainer
from paddlemix.training.entry import run_training, train_main

PROG = "python -m paddlemix.rl.grpo.train"


def main(argv: list[str] | None = None) -> None:
    """Parse the config, set up the process group and train."""
    train_main(TrainConfig, GRPOTrainer, PROG, argv)


if __name__ == "__main__":
    run_training(TrainConfig, GRPOTrainer, PROG)
