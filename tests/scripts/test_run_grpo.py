"""The GRPO configs and launch script: the bundled YAMLs load, and run_grpo.sh trains on 2 CPU processes."""

from __future__ import annotations

import glob
import os
import subprocess

import pytest

from paddlemix.datasets.synthetic import write_counting_layout
from paddlemix.rl.grpo.config import load_train_config

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIGS = sorted(glob.glob(os.path.join(REPO, "configs", "grpo_*.yaml")))


@pytest.mark.parametrize("path", CONFIGS, ids=os.path.basename)
def test_bundled_configs_load(path):
    cfg = load_train_config(["--config", path])
    assert cfg.grpo.reward_funcs and cfg.trainer.output_dir


def test_seed_recipes_keep_the_seed_settings():
    rec = load_train_config(["--config", os.path.join(REPO, "configs", "grpo_rec.yaml")])
    assert (rec.data.max_prompt_length, rec.grpo.max_completion_length, rec.trainer.max_steps) == (
        1024,
        256,
        500,
    )
    geo = load_train_config(["--config", os.path.join(REPO, "configs", "grpo_geometry.yaml")])
    assert geo.model.freeze_vision and geo.trainer.max_steps == -1


def test_run_grpo_script_on_two_cpu_processes(tmp_path):
    data = write_counting_layout(str(tmp_path / "data"), n=8, n_eval=1)
    out = tmp_path / "out"
    env = {
        **os.environ,
        "GPUS": "2",
        "SHARDING": "stage1",
        "OUTPUT_DIR": str(out),
        "PADDLEMIX_DATA_CACHE": str(tmp_path / "cache"),
    }
    cmd = [
        "bash",
        "scripts/run_grpo.sh",
        "configs/grpo_tiny_cpu.yaml",
        "--dataset_name",
        f"{data}/clevr_cogen_a_train",
        "--max_steps",
        "2",
        "--disable_tqdm",
        "--save_steps",
        "2",
    ]
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    logs = "".join(
        open(p).read() for p in sorted(glob.glob(str(out / "paddle_distributed_logs" / "workerlog.*")))
    )
    assert done.returncode == 0, f"{done.stdout[-2000:]}\n{logs[-4000:]}"
    assert (out / "model.safetensors").is_file() and (
        out / "checkpoint-2" / "optimizer.rank1.pdopt"
    ).is_file()
    assert (out / "completions.jsonl").is_file() and (out / "completions.rank1.jsonl").is_file()
    assert "sharding_degree: 2" in logs
