"""Shared pieces of the GRPO tests: test rewards, a small synthetic counting set, and config builders.

The fixtures are re-exported by the conftest.py of tests/rl and tests/distributed.
"""

from __future__ import annotations

import pytest

from paddlemix.datasets.synthetic import write_counting_layout
from paddlemix.rewards import register_reward, registry
from paddlemix.rl.grpo.config import load_train_config
from tests.helpers import tiny_dir


def digit_fraction(completions, **_):
    """Share of a completion's characters that are digits: dense, and learnable by a tiny random model."""
    return [sum(c.isdigit() for c in text) / len(text) if text else 0.0 for text in completions]


def length_reward(completions, **_):
    """Characters / 10: differs between completions, so every group has a spread."""
    return [len(text) / 10.0 for text in completions]


TEST_REWARDS = {"test_digit_fraction": digit_fraction, "test_length": length_reward}


def register_test_rewards() -> None:
    """Register the test rewards (in a launched worker process)."""
    for name, fn in TEST_REWARDS.items():
        register_reward(name, fn)


@pytest.fixture(autouse=True)
def grpo_test_rewards(monkeypatch):
    """The test rewards, registered in a scratch copy of the registry that vanishes with the test."""
    monkeypatch.setattr(registry, "_REWARDS", dict(registry._REWARDS))
    register_test_rewards()


@pytest.fixture(scope="session")
def counting_dir(tmp_path_factory):
    """A Hugging Face counting training set of 16 synthetic scenes."""
    root = write_counting_layout(str(tmp_path_factory.mktemp("data")), n=16, n_eval=1)
    return f"{root}/clevr_cogen_a_train"


@pytest.fixture(autouse=True)
def image_cache(tmp_path_factory, monkeypatch):
    """Embedded images are written under the test's temporary folders, not the home directory."""
    monkeypatch.setenv("PADDLEMIX_DATA_CACHE", str(tmp_path_factory.getbasetemp() / "image_cache"))


def train_argv(dataset: str, output_dir: str, model: str = "qwen2_vl_tied", **overrides) -> list[str]:
    """Command-line flags of a small CPU run; keyword overrides become `--key value`."""
    flags = {
        "model_name_or_path": tiny_dir(model),
        "dataset_name": dataset,
        "output_dir": output_dir,
        "max_steps": 2,
        "num_generations": 4,
        "max_completion_length": 6,
        "per_device_train_batch_size": 2,
        "learning_rate": 1e-3,
        "reward_funcs": "test_length",
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


def train_config(dataset: str, output_dir: str, **overrides):
    """A TrainConfig for a small CPU run (see `train_argv`)."""
    return load_train_config(train_argv(dataset, output_dir, **overrides))
