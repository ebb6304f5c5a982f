"""OCR and affordance recipes: the launch scripts' dry runs keep the seeds' settings, and the tiny CPU configs train."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from paddlemix.datasets.synthetic import write_affordance_layout, write_ocr_layout
from tests.scripts.test_launch_dry_run import dry_run

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_affordance_dry_run_has_affordance_r1_settings(tmp_path):
    command, cfg = dry_run("run_grpo_affordance.sh", str(tmp_path))
    assert "paddle.distributed.launch --nproc_per_node 8" in command
    grpo, trainer, data = cfg["grpo"], cfg["trainer"], cfg["data"]
    assert (grpo["num_generations"], grpo["temperature"], grpo["top_p"], grpo["top_k"]) == (8, 1.0, 1.0, 0)
    assert grpo["beta"] == 5e-3 and grpo["loss_type"] == "dapo"
    assert grpo["reward_funcs"] == [
        "aff_format",
        "aff_accuracy",
        "aff_non_repeat",
        "aff_box_num",
        "aff_recognition",
    ]
    assert (data["max_prompt_length"], grpo["max_completion_length"]) == (1500, 1500)
    assert trainer["learning_rate"] == 1e-6 and trainer["lr_scheduler_type"] == "constant"
    assert trainer["weight_decay"] == 1e-2 and trainer["max_grad_norm"] == 1.0
    # 16 prompts a step: 2 per device x 8 GPUs x 1.
    assert trainer["per_device_train_batch_size"] * 8 * trainer["gradient_accumulation_steps"] == 16
    assert cfg["model"]["model_name_or_path"] == "Qwen/Qwen2.5-VL-7B-Instruct"


def test_ocr_dry_run(tmp_path):
    command, cfg = dry_run("run_grpo_ocr.sh", str(tmp_path), MODEL="some/model")
    assert cfg["data"]["task"] == "ocr" and cfg["data"]["image_root"] == "data/OCR"
    assert cfg["grpo"]["reward_funcs"] == ["ocr_edit_distance"] and cfg["grpo"]["num_generations"] == 8
    assert cfg["model"]["model_name_or_path"] == "some/model"
    assert (
        cfg["trainer"]["per_device_train_batch_size"] * 8 * cfg["trainer"]["gradient_accumulation_steps"]
        == 16
    )


def train(config: str, tmp_path, *flags: str) -> list[dict]:
    """Run the trainer on a tiny config for a few steps; the logged completions."""
    out = tmp_path / "out"
    env = {**os.environ, "PADDLEMIX_DATA_CACHE": str(tmp_path / "cache")}
    cmd = [sys.executable, "-m", "paddlemix.rl.grpo.train", "--config", config, "--output_dir", str(out)]
    cmd += ["--disable_tqdm", "--report_to", "none", *flags]
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    with open(out / "completions.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def test_ocr_tiny_cpu_config_trains(tmp_path):
    root = write_ocr_layout(str(tmp_path / "data"), n=8, n_eval=1)
    rows = train(
        "configs/grpo_ocr_tiny_cpu.yaml",
        tmp_path,
        "--dataset_name",
        f"{root}/ocr_train.json",
        "--image_root",
        root,
        "--max_steps",
        "2",
        "--save_steps",
        "2",
    )
    assert rows and all(0.0 <= r["rewards"]["ocr_edit_distance"] <= 1.0 for r in rows)


def test_affordance_tiny_cpu_config_trains(tmp_path):
    root = write_affordance_layout(str(tmp_path / "data"), n=4, n_eval=1, size=56)
    rows = train(
        "configs/grpo_affordance_tiny_cpu.yaml",
        tmp_path,
        "--dataset_name",
        f"{root}/reasonaff_train",
        "--max_steps",
        "1",
        "--save_steps",
        "1",
    )
    terms = {
        "aff_format",
        "aff_accuracy",
        "aff_non_repeat",
        "aff_box_num",
        "aff_recognition",
        "aff_syntax_share",
    }
    assert rows and all(set(r["rewards"]) == terms for r in rows)
