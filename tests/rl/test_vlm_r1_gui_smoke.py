"""VLM-R1's GUI recipe end to end on CPU: two screenshots per record, the real command lines, weights move."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from safetensors.numpy import load_file

from paddlemix.datasets.synthetic.gui import write_gui_layout
from tests.helpers import tiny_dir

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.slow
def test_gui_recipe_trains_through_the_command_line_and_evaluates(tmp_path):
    root = write_gui_layout(str(tmp_path), n=8, n_eval=4)
    model, out = tiny_dir("qwen2_5_vl_tied"), tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": REPO}
    train = subprocess.run(
        [sys.executable, "-m", "paddlemix.rl.grpo.train", "--config", "configs/grpo_gui_multi_image.yaml",
         "--model_name_or_path", model, "--bf16", "false", "--recompute", "false",
         # VLM-R1's own flags, as its run_grpo_gui.sh passes them
         "--data_file_paths", os.path.join(root, "gui_multi-image.jsonl"), "--image_folders", root,
         "--reward_method", "all_match", "--task_type", "gui",
         "--max_pixels", "3136", "--num_generations", "4", "--max_completion_length", "8", "--max_steps", "2",
         "--per_device_train_batch_size", "2", "--learning_rate", "1e-3",
         "--reward_funcs", "accuracy", "format", "vlm_r1_repetition", "digit_share",
         "--output_dir", str(out), "--report_to", "none", "--save_strategy", "no", "--disable_tqdm",
         "--log_completions"],
        cwd=REPO, capture_output=True, text=True, timeout=600, env=env,
    )  # fmt: skip
    assert train.returncode == 0, train.stderr[-3000:]
    assert "dropping sample" not in train.stderr
    rows = [json.loads(line) for line in (out / "completions.jsonl").read_text().splitlines()]
    assert rows and all({"accuracy", "format", "vlm_r1_repetition"} <= set(r["rewards"]) for r in rows)
    before = load_file(os.path.join(model, "model.safetensors"))
    after = load_file(str(out / "model.safetensors"))
    moved = [k for k in before if not np.array_equal(before[k], after[k])]
    assert len(moved) > len(before) // 2, f"only {len(moved)} of {len(before)} tensors changed"

    evaluation = subprocess.run(
        [sys.executable, "eval/evaluate_vlm_r1.py", "--model_path", str(out),
         "--data_file_paths", os.path.join(root, "gui_multi-image_val.jsonl"), "--image_folders", root,
         "--task_type", "gui", "--max_new_tokens", "8", "--max_pixels", "3136", "--dtype", "float32",
         "--output_dir", str(tmp_path / "logs")],
        cwd=REPO, capture_output=True, text=True, timeout=600, env=env,
    )  # fmt: skip
    assert evaluation.returncode == 0, evaluation.stderr[-3000:]
    (path,) = (tmp_path / "logs").glob("vlm_r1_results_gui_multi-image_val_*.json")
    data = json.loads(path.read_text())
    assert data["methods"]["all_match"]["n"] == 4 and data["num_skipped"] == 0
    assert all(len(r["image"]) == 2 for r in data["results"])  # both screenshots in every prompt
    assert "overall: all_match" in evaluation.stdout
