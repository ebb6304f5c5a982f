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

import sys

import yaml

from paddlemix.config import config_to_dict, help_text
from paddlemix.distributed import init_distributed, setup_logging
from paddlemix.errors import missing_files_are_user_errors, run_main
from paddlemix.rl.grpo.config import TrainConfig, load_train_config
from paddlemix.rl.grpo.trainer import GRPOTrainer

PROG = "python -m paddlemix.rl.grpo.train"


def main(argv: list[str] | None = None) -> None:
    """Parse the config, set up the process group and train."""
    argv = sys.argv[1:] if argv is None else argv
    if "-h" in argv or "--help" in argv:
        print(help_text(TrainConfig, PROG))
        return
    print_config = "--print_config" in argv
    argv = [a for a in argv if a != "--print_config"]
    cfg = load_train_config(argv)
    if print_config:
        print(yaml.safe_dump(config_to_dict(cfg), sort_keys=False), end="")
        return
    setup_logging()
    d = cfg.distributed
    env = init_distributed(d.sharding, d.sharding_parallel_degree, d.hybrid_parallel_topo_order)
    with missing_files_are_user_errors():
        trainer = GRPOTrainer(cfg, env)
    trainer.train()


if __name__ == "__main__":
    run_main(main)
