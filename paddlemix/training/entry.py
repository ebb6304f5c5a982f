"""The command line of a trainer: `--help`, `--print_config`, the process group, then the run.

`python -m paddlemix.rl.grpo.train` and `python -m paddlemix.sft.train` are this, each with its config
class and trainer; user errors print one line and exit 2 (`paddlemix.errors.run_main`).
"""

from __future__ import annotations

import sys

import yaml

from paddlemix.config import config_to_dict, help_text, load_config
from paddlemix.distributed import init_distributed, setup_logging
from paddlemix.errors import missing_files_are_user_errors, run_main, set_interrupt_note
from paddlemix.training.output_dir import check_output_dir, resume_note


def train_main(config_cls, trainer_cls, prog: str, argv: list[str] | None = None) -> None:
    """Parse `config_cls` from `--config` and flags, set up the process group and train with `trainer_cls`."""
    argv = sys.argv[1:] if argv is None else argv
    if "-h" in argv or "--help" in argv:
        print(help_text(config_cls, prog))
        return
    print_config = "--print_config" in argv
    argv = [a for a in argv if a != "--print_config"]
    cfg = load_config(config_cls, argv)
    if print_config:
        print(yaml.safe_dump(config_to_dict(cfg), sort_keys=False), end="")
        return
    setup_logging()
    check_output_dir(cfg.trainer)  # before minutes of model loading
    set_interrupt_note(lambda: resume_note(cfg.trainer, prog, argv))
    d = cfg.distributed
    env = init_distributed(d.sharding, d.sharding_parallel_degree, d.hybrid_parallel_topo_order)
    with missing_files_are_user_errors():
        trainer = trainer_cls(cfg, env)
    trainer.train()


def run_training(config_cls, trainer_cls, prog: str) -> None:
    """The `__main__` of a trainer module: `train_main` under `run_main`."""
    run_main(lambda argv: train_main(config_cls, trainer_cls, prog, argv))
