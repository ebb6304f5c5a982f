"""SFT data parallel through fleet on CPU (gloo): 2 processes end with the parameters of 1 process.

Both runs train on the same global batch of 4 samples per step: one process with 2 samples × 2
accumulation micro-steps, two processes with 1 sample × 2 micro-steps each. The loss is the mean over the
step's global target tokens, so the final parameters agree to float rounding.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
from safetensors.numpy import load_file

from paddlemix.sft.trainer import SFTTrainer
from tests.sft.test_sft_trainer import counting_dir, sft_config  # noqa: F401

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_two_processes_end_with_the_parameters_of_one(counting_dir, tmp_path):  # noqa: F811
    single = tmp_path / "single"
    SFTTrainer(sft_config(counting_dir, str(single), max_steps=3)).train()
    out, log_dir = tmp_path / "data_parallel", tmp_path / "logs"
    flags = {
        "model_name_or_path": sft_config(counting_dir, str(out)).model.model_name_or_path,
        "dataset_name": counting_dir,
        "output_dir": str(out),
        "max_steps": 3,
        "per_device_train_batch_size": 1,
        "gradient_accumulation_steps": 2,
        "learning_rate": 1e-3,
        "lr_scheduler_type": "cosine",
        "warmup_ratio": 0.25,
        "report_to": "none",
        "disable_tqdm": True,
        "save_strategy": "no",
        "seed": 0,
    }
    argv = [a for k, v in flags.items() for a in (f"--{k}", str(v))]
    cmd = [
        sys.executable,
        "-m",
        "paddle.distributed.launch",
        "--nproc_per_node",
        "2",
        "--log_dir",
        str(log_dir),
    ]
    cmd += [sys.executable, "-m", "paddlemix.sft.train", *argv]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    logs = "".join(p.read_text() for p in sorted(log_dir.glob("workerlog.*")))
    assert done.returncode == 0, f"launch failed:\n{done.stdout[-3000:]}\n{logs[-6000:]}"
    want = load_file(os.path.join(single, "model.safetensors"))
    got = load_file(os.path.join(out, "model.safetensors"))
    assert set(got) == set(want)
    worst = max(float(np.abs(got[k] - want[k]).max()) for k in want)
    base = load_file(os.path.join(flags["model_name_or_path"], "model.safetensors"))
    assert max(float(np.abs(want[k] - base[k]).max()) for k in want) > 1e-4  # training moved the weights
    assert worst <= 1e-5, worst
