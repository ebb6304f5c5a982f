"""The detection, OVD and grounding launch scripts: `--dry-run` resolves each seed's defaults."""

from __future__ import annotations

import pytest

from tests.scripts.test_launch_dry_run import dry_run

# script: (model, processes, G, max completion, beta, rewards, per-device, accumulation); the seeds' values.
RECIPES = {
    "detection": (
        "Qwen/Qwen2.5-VL-7B-Instruct",
        8,
        4,
        512,
        0.04,
        ["vision_r1_precision", "vision_r1_dual_format", "vision_r1_recall"],
        1,
        1,
    ),
    "ovd": ("Qwen/Qwen2.5-VL-3B-Instruct", 8, 8, 1024, 0.0, ["od_length", "think_format"], 1, 2),
    "grounding": (
        "Qwen/Qwen2-VL-2B-Instruct",
        7,
        8,
        768,
        0.04,
        ["iou_squared", "pr1_grounding_format"],
        1,
        2,
    ),
}


@pytest.mark.parametrize("task", sorted(RECIPES))
def test_dry_run_resolves_the_recipe(task, tmp_path):
    model, gpus, g, completion, beta, rewards, per_device, accumulation = RECIPES[task]
    command, cfg = dry_run(f"run_grpo_{task}.sh", str(tmp_path))
    assert f"paddle.distributed.launch --nproc_per_node {gpus}" in command
    assert cfg["model"]["model_name_or_path"] == model
    assert cfg["data"]["task"] == task
    assert cfg["grpo"]["num_generations"] == g
    assert cfg["grpo"]["max_completion_length"] == completion
    assert cfg["grpo"]["beta"] == beta
    assert cfg["grpo"]["reward_funcs"] == rewards
    assert cfg["trainer"]["per_device_train_batch_size"] == per_device
    assert cfg["trainer"]["gradient_accumulation_steps"] == accumulation
    if task == "detection":
        assert cfg["data"]["max_pixels"] == 401408 and cfg["data"]["max_prompt_length"] == 1024


@pytest.mark.parametrize("task", sorted(RECIPES))
def test_cpu_smoke_config_dry_runs(task, tmp_path):
    command, cfg = dry_run(
        f"run_grpo_{task}.sh",
        str(tmp_path),
        CONFIG=f"configs/grpo_{task}_tiny_cpu.yaml",
        GPUS="1",
        SHARDING="",
    )
    assert "--nproc_per_node 1" in command
    assert cfg["model"]["model_name_or_path"].startswith("tests/fixtures/models/")
    assert "digit_share" in cfg["grpo"]["reward_funcs"]
