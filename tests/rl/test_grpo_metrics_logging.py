"""Observability: VisualDL scalars, the progress bar and the completions jsonl of a short run."""

from __future__ import annotations

import glob
import json

import pytest
from visualdl import LogReader

from paddlemix.rl.grpo.trainer import GRPOTrainer
from tests.rl.grpo_testing import train_config

REQUIRED_SCALARS = [
    "reward",
    "reward_std",
    "rewards/test_length",
    "rewards/test_length_std",
    "rewards/test_length/errors",
    "kl",
    "clip_ratio",
    "completion_length",
    "completion_length_min",
    "completion_length_max",
    "frac_reward_zero_std",
    "tokens_per_second",
    "time/generation",
    "time/update",
    "time/reference",
    "time/optimizer",
    "loss",
    "lr",
    "drops/too_long",
]


def test_visualdl_scalars_progress_bar_and_completions(counting_dir, tmp_path, capsys):
    cfg = train_config(
        counting_dir,
        str(tmp_path),
        report_to="visualdl",
        log_completions=True,
        disable_tqdm=False,
        max_steps=2,
        run_name="demo",
    )
    history = GRPOTrainer(cfg).train()
    (log_file,) = glob.glob(str(tmp_path / "runs" / "demo" / "vdlrecords.*"))
    reader = LogReader(file_path=log_file)
    tags = set(reader.get_tags()["scalar"])
    missing = [t for t in REQUIRED_SCALARS if f"train/{t}" not in tags]
    assert missing == []
    rewards = [r.value for r in reader.get_data("scalar", "train/reward")]
    assert rewards == pytest.approx([h["reward"] for h in history], rel=1e-6)
    err = capsys.readouterr().err
    assert "reward=" in err and "kl=" in err and "len=" in err and "sec=" in err
    lines = [json.loads(x) for x in (tmp_path / "completions.jsonl").read_text().splitlines()]
    assert len(lines) == 2 * 2 * 4  # steps × prompts × generations
    first = lines[0]
    assert set(first) >= {
        "step",
        "problem",
        "solution",
        "completion",
        "reward",
        "rewards",
        "advantage",
        "length",
    }
    assert first["rewards"]["test_length"] == len(first["completion"]) / 10.0
