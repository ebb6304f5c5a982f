"""The preflight's data check (preflight/data_check.py) and its command line (python -m paddlemix.preflight)."""

from __future__ import annotations

import os
import subprocess
import sys

from paddlemix.datasets.synthetic import write_rec_layout
from paddlemix.preflight.data_check import check_data
from paddlemix.processors import Qwen2VLProcessor
from paddlemix.tasks import load_task_samples
from paddlemix.training.data import Drop, PromptEncoder
from tests.helpers import tiny_dir


def _rec(tmp_path):
    write_rec_layout(str(tmp_path), n=6, n_eval=1)
    root = os.path.join(str(tmp_path), "REC")
    return os.path.join(root, "rec_jsons_processed", "refcoco_train.json"), root


def test_prompt_lengths_are_the_training_encoders(tmp_path):
    path, root = _rec(tmp_path)
    dataset = load_task_samples(path, None, root, "train")
    processor = Qwen2VLProcessor.from_pretrained(tiny_dir("qwen2_vl_tied"), max_pixels=56 * 56 * 4)
    encoded = [PromptEncoder(processor, 10_000).encode(dataset[i]).length for i in range(len(dataset))]
    report = check_data(dataset, processor, max_prompt_length=10_000)
    assert report.longest[0] == max(encoded) and not report.unreadable
    # with a limit between the lengths, exactly the longer prompts are the ones the encoder drops
    limit = sorted(encoded)[len(encoded) // 2]
    dropped = sum(isinstance(PromptEncoder(processor, limit).encode(s), Drop) for s in dataset)
    assert len(check_data(dataset, processor, limit).too_long) == dropped


def test_command_line_prints_the_table_and_strict_fails(tmp_path):
    path, root = _rec(tmp_path)
    flags = [
        "--model_name_or_path", tiny_dir("qwen2_vl_tied"), "--dataset_name", path, "--image_root", root,
        "--output_dir", str(tmp_path / "out"), "--max_prompt_length", "40",
    ]  # fmt: skip
    cmd = [sys.executable, "-m", "paddlemix.preflight", *flags]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "over 40 would be dropped" in proc.stdout and "CPU training memory (estimate):" in proc.stdout
    assert "red team" in proc.stdout and "budget: GPU GiB per rank" in proc.stdout
    strict = subprocess.run([*cmd, "--strict"], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert strict.returncode == 2 and "preflight problem" in strict.stderr.strip().splitlines()[-1]
