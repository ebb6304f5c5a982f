"""GRPO on a tiny Qwen3-VL through the real command line: it learns, resumes exactly and exports for transformers."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import paddle
import pytest

from paddlemix.models import AutoModelForConditionalGeneration
from paddlemix.rl.grpo.trainer import GRPOTrainer
from tests.helpers import golden, requires_reference, tiny_dir
from tests.rl.grpo_testing import train_argv, train_config

pytestmark = pytest.mark.slow
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODEL = "qwen3_vl_tied"
FLAGS = {
    "max_steps": 20,
    "save_strategy": "steps",
    "save_steps": 10,
    "beta": 0.04,
    "max_completion_length": 4,
    "per_device_train_batch_size": 1,
    "model": MODEL,
}
KEYS = ("input_ids", "attention_mask", "pixel_values", "image_grid_thw")


def weights(model) -> dict[str, np.ndarray]:
    return {name: p.numpy().copy() for name, p in model.named_parameters()}


@pytest.fixture(scope="module")
def cli_run(counting_dir, tmp_path_factory):
    """A 20-step GRPO run of the tiny Qwen3-VL by `python -m paddlemix.rl.grpo.train`, checkpointed at 10."""
    out = tmp_path_factory.mktemp("grpo_qwen3") / "run"
    cmd = [
        sys.executable,
        "-m",
        "tests.distributed.grpo_worker",
        *train_argv(counting_dir, str(out), **FLAGS),
    ]
    env = {**os.environ, "PYTHONPATH": REPO}
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out


def test_the_run_moves_every_weight_and_exports_in_the_hub_layout(cli_run):
    before = weights(AutoModelForConditionalGeneration.from_pretrained(tiny_dir(MODEL), dtype="float32"))
    after = weights(AutoModelForConditionalGeneration.from_pretrained(str(cli_run), dtype="float32"))
    moved = [k for k in before if np.abs(after[k] - before[k]).max() > 0]
    print(f"{len(moved)} of {len(before)} parameters moved in 20 steps")
    assert set(moved) == set(before)
    assert any(k.startswith("visual.deepstack_merger_list") for k in moved)


def test_resuming_from_step_10_ends_at_the_same_weights(cli_run, counting_dir, tmp_path):
    resumed = GRPOTrainer(
        train_config(
            counting_dir,
            str(tmp_path / "resumed"),
            **{**FLAGS, "resume_from_checkpoint": str(cli_run / "checkpoint-10")},
        )
    )
    assert resumed.global_step == 10
    resumed.train()
    final = AutoModelForConditionalGeneration.from_pretrained(str(cli_run), dtype="float32")
    got, want = weights(resumed.model), weights(final)
    worst = max(float(np.abs(got[k] - want[k]).max()) for k in want)
    print(f"max |Δ parameter| resumed vs uninterrupted: {worst:.1e}")
    assert worst == 0.0


@requires_reference
def test_the_export_loads_in_transformers_with_equal_logits(cli_run):
    import torch

    from paddlemix.testing.reference import load_reference_model

    ref = load_reference_model(str(cli_run))
    ours = AutoModelForConditionalGeneration.from_pretrained(str(cli_run), dtype="float32")
    g = golden(MODEL, "two_images")
    t_in = {k: torch.from_numpy(g[k]) for k in KEYS}
    t_in["mm_token_type_ids"] = (t_in["input_ids"] == ref.config.image_token_id).long()
    with torch.no_grad():
        want = ref(**t_in).logits.numpy()
    with paddle.no_grad():
        got = ours(**{k: paddle.to_tensor(g[k]) for k in KEYS}).logits.numpy()
    rel = np.abs(got - want).max() / np.abs(want).max()
    print(f"export logits rel diff vs transformers: {rel:.1e}")
    assert rel <= 1e-4
