"""`python -m paddlemix.preflight` on every shipped YAML under configs/ (GRPO and SFT), on synthetic data.

The synthetic writer mirrors data/'s layout, so each YAML's own paths resolve in a folder holding the synthetic
data/ (and data/synthetic/ for the tiny CPU configs); the checkpoint is a tiny fixture of the YAML's family
(config.json and tokenizer only are read: no weights). Every YAML runs through the command's `main` in this
process; a GRPO and an SFT one also run as the command itself, timed with its imports (about 2.5 s of its
3-4 s on 2 cores), so the whole file stays near 25 s instead of 19 Paddle start-ups.
"""

from __future__ import annotations

import glob
import os
import subprocess
import sys
import time

import pytest
import yaml

from tests.helpers import tiny_dir

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIGS = sorted(glob.glob(os.path.join(REPO, "configs", "*.yaml")))
LIMIT_S = 30


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A folder with the synthetic data/ and data/synthetic/, and configs/ (for configs/data/*.yaml)."""
    root = tmp_path_factory.mktemp("shipped")
    for out in ("data", os.path.join("data", "synthetic")):
        cmd = [sys.executable, "-m", "paddlemix.datasets.synthetic", "--task", "all", "--out", out, "--n", "8"]
        subprocess.run(cmd, cwd=root, check=True, capture_output=True, timeout=300)
    os.symlink(os.path.join(REPO, "configs"), root / "configs")
    return root


def _model(config: str) -> str:
    """The tiny fixture of the family the YAML's model_name_or_path names."""
    with open(config, encoding="utf-8") as f:
        name = str((yaml.safe_load(f).get("model") or {}).get("model_name_or_path", "")).lower()
    for family, marker in (("qwen3_vl", "qwen3"), ("qwen2_5_vl", "2.5")):
        if marker in name or family in name:
            return tiny_dir(f"{family}_tied")
    return tiny_dir("qwen2_vl_tied")


def test_every_shipped_config_is_covered():
    names = {os.path.basename(c) for c in CONFIGS}
    assert {"grpo_rec.yaml", "sft_counting.yaml", "sft_detection.yaml", "grpo_rec_qwen3vl.yaml"} <= names


def _flags(workdir, config: str) -> list[str]:
    return ["--config", config, "--model_name_or_path", _model(config), "--output_dir", str(workdir / "out")]


def _assert_table(out: str, config: str) -> None:
    assert out.startswith("preflight") and "CPU training memory (estimate):" in out
    assert "data: images readable" in out and "budget: GPU GiB per rank" in out
    sft = os.path.basename(config).startswith("sft_")
    assert ("SFT has no rewards to hack" in out) == sft
    assert ("prompt + target + image tokens" in out) == sft


@pytest.mark.parametrize("config", CONFIGS, ids=os.path.basename)
def test_preflight_prints_its_table_for_every_shipped_config(workdir, config, monkeypatch, capsys):
    from paddlemix.preflight.__main__ import main

    monkeypatch.chdir(workdir)  # the YAML's data paths are relative to where the command runs
    start = time.perf_counter()
    main(_flags(workdir, config))
    elapsed = time.perf_counter() - start
    _assert_table(capsys.readouterr().out, config)
    assert elapsed < LIMIT_S, f"{os.path.basename(config)}: {elapsed:.1f} s"


@pytest.mark.parametrize("name", ["grpo_rec.yaml", "sft_detection.yaml"])
def test_the_command_prints_its_table_in_under_30_s(workdir, name):
    config = os.path.join(REPO, "configs", name)
    cmd = [sys.executable, "-m", "paddlemix.preflight", *_flags(workdir, config)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - start
    assert proc.returncode == 0, proc.stderr[-2000:]
    _assert_table(proc.stdout, config)
    assert elapsed < LIMIT_S, f"{name}: {elapsed:.1f} s"
