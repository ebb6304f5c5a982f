"""The seed's three launch scripts: `--dry-run` resolves the seed's defaults, from any working directory."""

from __future__ import annotations

import os
import subprocess

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEED_VARS = (
    "GPUS BATCH_SIZE PER_DEVICE_BATCH_SIZE GRADIENT_ACC tensor_parallel_degree sharding_parallel_degree SHARDING "
    "NUM_GENERATIONS OUTPUT_DIR IMAGE_ROOT MASTER TRAINER_INSTANCES NNODES RANK RUN_NAME MODEL DATASET_NAME DRY_RUN"
).split()

# script: (model, run name, per-device batch, image_root, max_steps); the seed's run_grpo_*.sh values.
SEED = {
    "rec": ("Qwen/Qwen2.5-VL-3B-Instruct", "Qwen2.5-VL-3B-GRPO-REC_8GPUS", 2, "data/REC", 500),
    "counting": ("Qwen/Qwen2-VL-2B-Instruct", "Qwen2-VL-2B-GRPO-Counting_8GPUS", 1, None, 100),
    "geometry": ("Qwen/Qwen2-VL-2B-Instruct", "Qwen2-VL-2B-GRPO-Geometry_8GPUS", 1, None, -1),
}


def dry_run(script: str, cwd: str, *args: str, **env: str) -> tuple[str, dict]:
    """Run `bash scripts/<script> --dry-run`; return the printed command line and the resolved config."""
    base = {k: v for k, v in os.environ.items() if k not in SEED_VARS}
    done = subprocess.run(
        ["bash", os.path.join(REPO, "scripts", script), "--dry-run", *args],
        cwd=cwd,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    command = lines[lines.index(next(x for x in lines if x.startswith("command"))) + 1]
    config = yaml.safe_load("\n".join(lines[lines.index(command) + 1 :]))
    return command, config


@pytest.mark.parametrize("task", sorted(SEED))
def test_dry_run_resolves_the_seed_defaults(task, tmp_path):
    model, run_name, per_device, image_root, max_steps = SEED[task]
    command, cfg = dry_run(f"run_grpo_{task}.sh", str(tmp_path))
    assert "paddle.distributed.launch --nproc_per_node 8" in command
    assert "python -m paddlemix.rl.grpo.train" in command
    assert cfg["model"]["model_name_or_path"] == model
    assert cfg["model"]["bf16"] and cfg["model"]["fp16_opt_level"] == "O2"
    assert cfg["distributed"]["sharding"] == "stage2"
    assert cfg["distributed"]["sharding_parallel_degree"] == 8
    assert cfg["distributed"]["tensor_parallel_degree"] == 1
    assert cfg["grpo"]["num_generations"] == 8
    # BATCH_SIZE 16 = per-device batch x 8 GPUs x gradient accumulation.
    assert cfg["trainer"]["per_device_train_batch_size"] == per_device
    assert cfg["trainer"]["gradient_accumulation_steps"] == 16 // (8 * per_device)
    assert cfg["trainer"]["run_name"] == run_name
    assert cfg["trainer"]["output_dir"] == f"work_dirs/{run_name}"
    assert cfg["trainer"]["max_steps"] == max_steps
    assert cfg["data"]["image_root"] == image_root
    if max_steps == -1:
        assert cfg["trainer"]["num_train_epochs"] == 1


def test_environment_overrides_and_multi_node(tmp_path):
    command, cfg = dry_run(
        "run_grpo_counting.sh",
        str(tmp_path),
        "--learning_rate",
        "2e-6",
        GPUS="4",
        BATCH_SIZE="32",
        NUM_GENERATIONS="4",
        TRAINER_INSTANCES="10.0.0.1,10.0.0.2",
        MASTER="10.0.0.1:8080",
        OUTPUT_DIR="/tmp/out",
    )
    assert "--nnodes 2 --ips 10.0.0.1,10.0.0.2 --master 10.0.0.1:8080" in command
    assert cfg["trainer"]["gradient_accumulation_steps"] == 32 // (4 * 2)
    assert cfg["trainer"]["output_dir"] == "/tmp/out"
    assert cfg["trainer"]["run_name"] == "Qwen2-VL-2B-GRPO-Counting_4GPUS"
    assert cfg["trainer"]["learning_rate"] == 2e-6
    assert cfg["grpo"]["num_generations"] == 4
    assert cfg["distributed"]["sharding_parallel_degree"] == 4


def test_batch_size_that_does_not_divide_is_refused(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in SEED_VARS}
    done = subprocess.run(
        ["bash", os.path.join(REPO, "scripts", "run_grpo_rec.sh"), "--dry-run"],
        cwd=str(tmp_path),
        env={**env, "BATCH_SIZE": "12"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "not a multiple" in done.stderr


def test_rec_script_runs_the_qwen3_vl_recipe(tmp_path):
    command, cfg = dry_run("run_grpo_rec.sh", str(tmp_path), CONFIG="configs/grpo_rec_qwen3vl.yaml")
    assert "grpo_rec_qwen3vl.yaml" in command
    assert cfg["model"]["model_name_or_path"] == "Qwen/Qwen3-VL-2B-Instruct"
    assert cfg["trainer"]["run_name"] == "grpo_rec_qwen3vl_8GPUS"
    # The rest is the seed's REC recipe, as for Qwen2.5-VL-3B.
    assert (cfg["data"]["max_prompt_length"], cfg["grpo"]["max_completion_length"]) == (1024, 256)
    assert cfg["trainer"]["max_steps"] == 500 and cfg["data"]["image_root"] == "data/REC"
    assert cfg["trainer"]["gradient_accumulation_steps"] == 1
