"""Checkpoints: a resumed run ends where an uninterrupted one does; broken checkpoints are named and skipped."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from paddlemix.rl.grpo.trainer import GRPOTrainer
from paddlemix.training import checkpointing
from tests.rl.grpo_testing import train_argv, train_config

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def params(trainer) -> dict[str, np.ndarray]:
    return {name: p.numpy().copy() for name, p in trainer.model.named_parameters()}


def steps_of(output_dir) -> list[int]:
    return [checkpointing.checkpoint_step(p) for p in checkpointing.list_checkpoints(str(output_dir))]


def run(counting_dir, output_dir, **overrides):
    flags = {
        "max_steps": 4,
        "save_strategy": "steps",
        "save_steps": 2,
        "beta": 0.04,
        "warmup_steps": 1,
        **overrides,
    }
    return GRPOTrainer(train_config(counting_dir, str(output_dir), **flags))


def test_stopped_and_resumed_run_equals_an_uninterrupted_one(counting_dir, tmp_path):
    straight = run(counting_dir, tmp_path / "straight")
    straight_history = straight.train()
    expected = params(straight)

    first = run(counting_dir, tmp_path / "resumed")
    first.train(stop_after=3)  # "killed" after step 3: checkpoint-2 is the last one written
    del first
    resumed = run(counting_dir, tmp_path / "resumed", resume_from_checkpoint="auto")
    assert resumed.global_step == 2
    history = resumed.train()
    assert [h["step"] for h in history] == [3, 4]
    assert history[-1]["reward"] == straight_history[-1]["reward"]
    assert history[-1]["lr"] == straight_history[-1]["lr"]
    got = params(resumed)
    worst = max(float(np.abs(got[k] - expected[k]).max()) for k in expected)
    print(f"max |Δ parameter| resumed vs uninterrupted: {worst:.1e}")
    assert worst == 0.0
    with open(tmp_path / "resumed" / "checkpoint-4" / "trainer_state.json") as f:
        state = json.load(f)
    assert state["global_step"] == 4 and state["prompts_consumed"] == 4 * 2  # the data position


def test_broken_checkpoints_are_named_and_auto_falls_back(counting_dir, tmp_path, caplog):
    run(counting_dir, tmp_path).train()
    assert steps_of(tmp_path) == [2, 4]
    newest = tmp_path / "checkpoint-4"
    weights = newest / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-100] ^= 0xFF  # a flipped byte: same size, wrong content
    weights.write_bytes(bytes(data))
    assert "does not match its sha256" in checkpointing.verify_checkpoint(str(newest))
    with caplog.at_level(logging.WARNING):
        chosen = checkpointing.resolve_resume(str(tmp_path), "auto")
    assert chosen == str(tmp_path / "checkpoint-2")
    assert "checkpoint-4" in caplog.text and "model.safetensors" in caplog.text
    with pytest.raises(
        checkpointing.CheckpointCorrupt, match="checkpoint-4: model.safetensors .*beside it is .*checkpoint-2"
    ):
        checkpointing.resolve_resume(str(tmp_path), str(newest))

    weights.write_bytes(bytes(data[:1000]))
    assert "truncated" in checkpointing.verify_checkpoint(str(newest))
    (newest / "manifest.json").unlink()
    assert checkpointing.verify_checkpoint(str(newest)).startswith("partial")
    resumed = run(counting_dir, tmp_path, resume_from_checkpoint="auto")
    assert resumed.global_step == 2


def test_save_total_limit_interrupted_saves_and_existing_output(counting_dir, tmp_path):
    (tmp_path / ".tmp-checkpoint-8").mkdir()  # left by a save that was killed
    run(counting_dir, tmp_path, max_steps=6, save_total_limit=2).train()
    assert steps_of(tmp_path) == [4, 6]
    assert not (tmp_path / ".tmp-checkpoint-8").exists()
    assert all(
        checkpointing.verify_checkpoint(p) is None for p in checkpointing.list_checkpoints(str(tmp_path))
    )
    assert (tmp_path / "model.safetensors").is_file() and (tmp_path / "tokenizer.json").is_file()
    with pytest.raises(FileExistsError, match="--resume_from_checkpoint auto"):
        run(counting_dir, tmp_path)
    run(counting_dir, tmp_path, overwrite_output_dir=True)
    assert steps_of(tmp_path) == []


def test_a_crash_during_a_save_leaves_the_previous_checkpoint_newest(counting_dir, tmp_path, monkeypatch):
    trainer = run(counting_dir, tmp_path)
    trainer.train(stop_after=2)

    def crash(tmp, final):
        raise KeyboardInterrupt("killed while saving")

    with monkeypatch.context() as patch, pytest.raises(KeyboardInterrupt):
        patch.setattr(checkpointing, "_publish", crash)
        trainer.train()  # dies inside the save of checkpoint-4, after writing its files
    assert steps_of(tmp_path) == [2] and (tmp_path / ".tmp-checkpoint-4").is_dir()
    resumed = run(counting_dir, tmp_path, resume_from_checkpoint="auto")
    assert resumed.global_step == 2 and not (tmp_path / ".tmp-checkpoint-4").exists()


def test_a_killed_process_resumes_to_the_uninterrupted_result(counting_dir, tmp_path):
    flags = {"max_steps": 12, "save_strategy": "steps", "save_steps": 2, "beta": 0.04}
    straight = GRPOTrainer(train_config(counting_dir, str(tmp_path / "straight"), **flags))
    straight.train()
    out = tmp_path / "killed"
    cmd = [
        sys.executable,
        "-m",
        "tests.distributed.grpo_worker",
        *train_argv(counting_dir, str(out), **flags),
    ]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not (out / "checkpoint-2").exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)  # mid-run: no chance to clean up or finish a save
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (out / "model.safetensors").exists()  # it did not get to the end
    resumed = GRPOTrainer(train_config(counting_dir, str(out), resume_from_checkpoint="auto", **flags))
    print(f"killed after checkpoint-2 appeared; resuming from step {resumed.global_step}")
    assert 2 <= resumed.global_step < 12
    resumed.train()
    got, expected = params(resumed), params(straight)
    assert max(float(np.abs(got[k] - expected[k]).max()) for k in expected) == 0.0
