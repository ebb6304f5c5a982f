"""`python -m paddlemix.preflight` on every shipped YAML under configs/ (GRPO and SFT), on synthetic data.

The synthetic writer mirrors data/'s layout, so each YAML's own paths resolve in a folder holding the synthetic
data/ (and data/synthetic/ for the tiny CPU configs); the checkpoint is a tiny fixture of the YAML's family.
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


@pytest.mark.parametrize("config", CONFIGS, ids=os.path.basename)
def test_preflight_prints_its_table_for_every_shipped_config(workdir, config):
    cmd = [
        sys.executable, "-m", "paddlemix.preflight", "--config", config,
        "--model_name_or_path", _model(config), "--output_dir", str(workdir / "out"),
    ]  # fmt: skip
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - start
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    assert out.startswith("preflight") and "CPU training memory (estimate):" in out
    assert "data: images readable" in out and "budget: GPU GiB per rank" in out
    sft = os.path.basename(config).startswith("sft_")
    assert ("SFT has no rewards to hack" in out) == sft
    assert ("prompt + target + image tokens" in out) == sft
    assert elapsed < LIMIT_S, f"{os.path.basename(config)}: {elapsed:.1f} s"
