"""Data parallel and sharding stage 1 through fleet on CPU (gloo): 2 processes end where 1 process does.

Every run below trains on the same global batch of 4 prompts per step, split differently: one process
with 2 prompts × 2 accumulation micro-steps, two data-parallel processes with 1 prompt × 2 micro-steps
each, and two sharding-stage-1 processes with 2 prompts each. Rollouts are seeded per prompt and the loss
is normalised by global counts, so the final parameters agree to float rounding.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import paddle
import pytest
from safetensors.numpy import load_file

import paddlemix
from paddlemix.rewards import registry
from paddlemix.rl.grpo.trainer import GRPOTrainer
from tests.rl.grpo_testing import register_test_rewards, train_argv, train_config

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMMON = {"max_steps": 3, "beta": 0.04, "save_strategy": "no", "log_completions": True}


def launch(tmp_path, name: str, argv: list[str]) -> None:
    """Run the worker on 2 CPU processes; a failure shows the workers' logs."""
    log_dir = tmp_path / f"{name}_logs"
    cmd = [
        sys.executable,
        "-m",
        "paddle.distributed.launch",
        "--nproc_per_node",
        "2",
        "--log_dir",
        str(log_dir),
        sys.executable,
        "-m",
        "tests.distributed.grpo_worker",
        *argv,
    ]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    logs = "".join(p.read_text() for p in sorted(log_dir.glob("workerlog.*")))
    assert done.returncode == 0, f"launch failed:\n{done.stdout[-3000:]}\n{logs[-6000:]}"


def completions(output_dir) -> list[str]:
    """Every rank's completions.jsonl lines, sorted."""
    return sorted(line for f in output_dir.glob("completions*.jsonl") for line in f.read_text().splitlines())


def final_weights(output_dir) -> dict[str, np.ndarray]:
    return load_file(os.path.join(output_dir, "model.safetensors"))


@pytest.fixture(scope="module")
def single_process(counting_dir, tmp_path_factory):
    """The 1-process reference run's final weights and its completions."""
    out = tmp_path_factory.mktemp("single")
    cfg = train_config(
        counting_dir, str(out), per_device_train_batch_size=2, gradient_accumulation_steps=2, **COMMON
    )
    # Each launched worker computes on cores // 2 = 1 thread; the reference does too, since MKL's GEMM
    # partitions (and so rounds) differently per thread count.
    with pytest.MonkeyPatch.context() as patch:  # module scope: the per-test reward fixture is not active yet
        patch.setattr(registry, "_REWARDS", dict(registry._REWARDS))
        register_test_rewards()
        paddle.base.core.set_num_threads(1)
        try:
            GRPOTrainer(cfg).train()
        finally:
            paddle.base.core.set_num_threads(paddlemix.CPU_THREADS[0])
    return out


@pytest.mark.parametrize(
    "name, flags",
    [
        ("data_parallel", {"per_device_train_batch_size": 1, "gradient_accumulation_steps": 2}),
        ("sharding_stage1", {"per_device_train_batch_size": 2, "sharding": "stage1"}),
    ],
)
def test_two_processes_end_with_the_parameters_of_one(counting_dir, single_process, tmp_path, name, flags):
    out = tmp_path / name
    launch(tmp_path, name, train_argv(counting_dir, str(out), **{**COMMON, **flags}))
    expected, got = final_weights(single_process), final_weights(out)
    assert set(got) == set(expected)
    worst = max(float(np.abs(got[k] - expected[k]).max()) for k in expected)
    print(f"{name}: max |Δ parameter| vs 1 process after 3 steps: {worst:.1e}")
    assert worst <= 1e-5
    # The same completions were sampled: each rank wrote its own groups.
    assert completions(out) == completions(single_process)
