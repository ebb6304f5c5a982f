"""Supervised fine-tuning of Qwen2-VL / Qwen2.5-VL (full or LoRA).

    python -m paddlemix.sft.train --config configs/sft_counting.yaml [--flag value ...]
    python -m paddle.distributed.launch --nproc_per_node N python -m paddlemix.sft.train --config ... [--sharding stage1]
    python -m paddlemix.sft.train --print_config --config ... [--flag value ...]   (the resolved config, as YAML)

Flags are the fields of `paddlemix/sft/config.py`, `paddlemix/peft/options.py` and
`paddlemix/training/config.py` (`--help` lists them).
"""

from __future__ import annotations

import sys

import yaml

from paddlemix.config import ConfigError, config_to_dict, help_text
from paddlemix.distributed import init_distributed, setup_logging
from paddlemix.sft.config import SFTConfig, load_sft_config
from paddlemix.sft.trainer import SFTTrainer

PROG = "python -m paddlemix.sft.train"


def main(argv: list[str] | None = None) -> None:
    """Parse the config, set up the process group and train."""
    argv = sys.argv[1:] if argv is None else argv
    if "-h" in argv or "--help" in argv:
        print(help_text(SFTConfig, PROG))
        return
    print_config = "--print_config" in argv
    argv = [a for a in argv if a != "--print_config"]
    try:
        cfg = load_sft_config(argv)
    except ConfigError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    if print_config:
        print(yaml.safe_dump(config_to_dict(cfg), sort_keys=False), end="")
        return
    setup_logging()
    d = cfg.distributed
    env = init_distributed(d.sharding, d.sharding_parallel_degree, d.hybrid_parallel_topo_order)
    SFTTrainer(cfg, env).train()


if __name__ == "__main__":
    main()
