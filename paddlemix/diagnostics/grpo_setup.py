"""The small GRPO runs of the self-check: synthetic counting prompts, a reward with a spread, and the flags.

The reward is a hash of the completion's text: any two different completions almost surely score differently,
so every group has non-zero advantages and the step has a real gradient, whatever the model (random or
trained) writes.
"""

from __future__ import annotations

import os
import zlib

from paddlemix.datasets.synthetic import write_counting_layout
from paddlemix.rewards import registry

REWARD = "gpu_check_text_hash"


def text_hash_reward(completions, **_):
    """A deterministic score in [0, 1) per completion that differs between different texts."""
    return [zlib.crc32(text.encode("utf-8")) % 1000 / 1000.0 for text in completions]


def register_reward() -> None:
    """Register the self-check's reward (once per process)."""
    if REWARD not in registry.reward_names():
        registry.register_reward(REWARD, text_hash_reward)


def write_prompts(out_dir: str) -> str:
    """A Hugging Face counting set of 8 synthetic scenes under `out_dir`; returns its training directory."""
    root = write_counting_layout(out_dir, n=8, n_eval=1)
    return os.path.join(root, "clevr_cogen_a_train")


def train_flags(model: str, dataset: str, output_dir: str, **overrides) -> list[str]:
    """Command-line flags of a short run (2 prompts × G=4, 16 new tokens); keyword overrides become `--key value`."""
    flags = {
        "model_name_or_path": model,
        "dataset_name": dataset,
        "output_dir": output_dir,
        "max_steps": 1,
        "num_generations": 4,
        "max_completion_length": 16,
        "per_device_train_batch_size": 2,
        "learning_rate": 1e-5,
        "beta": 0.04,
        "reward_funcs": REWARD,
        "report_to": "none",
        "disable_tqdm": True,
        "save_strategy": "no",
        "seed": 0,
    }
    flags.update(overrides)
    argv = []
    for key, value in flags.items():
        argv += [f"--{key}", str(value)]
    return argv
