"""`python -m paddlemix.preflight --config X.yaml [training flags] [--gpu_memory_gb N] [--gpus N] [--strict]`.

A GRPO or an SFT run: SFT when the YAML has an `sft:` section or the flags name an SFT-only option. Reads the run's data and the checkpoint's config.json (no weights), prints the preflight table and exits 0;
with `--strict`, exits 2 when a row is not ok.
"""

from __future__ import annotations

import argparse
import sys

from paddlemix.config import ConfigError
from paddlemix.errors import run_main

SFT_FLAGS = ("--target_format", "--max_seq_length", "--packing", "--conversations", "--loss_on_prompt")


def is_sft(argv: list[str]) -> bool:
    """Whether the training flags `argv` describe an SFT run (see the module docstring)."""
    if any(a.split("=")[0] in SFT_FLAGS for a in argv):
        return True
    for i, a in enumerate(argv):
        path = argv[i + 1] if a == "--config" and i + 1 < len(argv) else a[9:] if a.startswith("--config=") else None
        if path:
            import yaml

            with open(path, encoding="utf-8") as f:
                return "sft" in (yaml.safe_load(f) or {})
    return False


def sft_main(args, rest: list[str]) -> None:
    """The SFT preflight: its config, data and processor as `paddlemix.sft.train` builds them."""
    from paddlemix.preflight.report import PreflightError, run_sft_preflight
    from paddlemix.processors import Qwen2VLProcessor
    from paddlemix.sft import trainer  # noqa: F401  (imported as a run imports it, for the runtime measured)
    from paddlemix.sft.config import load_sft_config
    from paddlemix.sft.conversations import load_conversations
    from paddlemix.training.data import load_train_dataset

    cfg = load_sft_config(rest)
    d = cfg.data
    if cfg.sft.conversations:
        dataset = load_conversations(d.dataset_name, d.image_root)
    else:
        dataset = load_train_dataset(d, cfg.trainer.seed)
    processor = Qwen2VLProcessor.from_pretrained(
        cfg.model.model_name_or_path, min_pixels=d.min_pixels, max_pixels=d.max_pixels
    )
    result = run_sft_preflight(cfg, dataset, processor, args.gpu_memory_gb, args.gpus)
    print(result.table())
    if args.strict and result.problems:
        raise PreflightError(f"{len(result.problems)} preflight problem(s); first: {result.problems[0]}")


def main(argv: list[str] | None = None) -> None:
    """Parse the preflight's own flags, load the training config from the rest, print the table."""
    parser = argparse.ArgumentParser(
        prog="python -m paddlemix.preflight", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--gpu_memory_gb", type=float, default=80.0, help="GPU memory per rank (default 80)")
    parser.add_argument("--gpus", type=int, default=8, help="ranks the run will use (default 8)")
    parser.add_argument("--strict", action="store_true", help="exit 2 when a row is not ok")
    argv = list(sys.argv[1:] if argv is None else argv)
    if "-h" in argv or "--help" in argv:
        parser.print_help()
        print(
            "\nThe other flags are the training command's (python -m paddlemix.rl.grpo.train --help, "
            "or python -m paddlemix.sft.train --help for an SFT config)."
        )
        return
    args, rest = parser.parse_known_args(argv)
    if is_sft(rest):
        sft_main(args, rest)
        return
    # The training modules are imported as a run imports them, so the runtime measured below is a run's.
    from paddlemix.preflight.report import PreflightError, run_preflight
    from paddlemix.processors import Qwen2VLProcessor
    from paddlemix.rewards import build_rewards
    from paddlemix.rl.grpo import trainer  # noqa: F401
    from paddlemix.rl.grpo.config import load_train_config
    from paddlemix.training.data import load_train_dataset

    cfg = load_train_config(rest)
    dataset = load_train_dataset(cfg.data, cfg.trainer.seed)
    try:
        funcs, _ = build_rewards(cfg.grpo.reward_funcs, cfg.grpo.reward_weights)
    except ValueError as e:
        raise ConfigError(f"--reward_funcs: {e}") from None
    d = cfg.data
    processor = Qwen2VLProcessor.from_pretrained(
        cfg.model.model_name_or_path, min_pixels=d.min_pixels, max_pixels=d.max_pixels
    )
    result = run_preflight(cfg, dataset, funcs, processor, args.gpu_memory_gb, args.gpus)
    print(result.table())
    if args.strict and result.problems:
        raise PreflightError(f"{len(result.problems)} preflight problem(s); first: {result.problems[0]}")


if __name__ == "__main__":
    run_main(main)
