"""The first hour of a new user, command by command as the README gives them (issue 22).

- the README's GRPO smoke run trains visibly (the saved weights differ from the starting checkpoint), and
  run again answers with one line naming --resume_from_checkpoint auto and --overwrite_output_dir;
- --overwrite_output_dir starts clean (no earlier completions, VisualDL files or checkpoints);
- Ctrl-C in training and in an eval is one line saying what was saved and how to resume; the printed
  training command does resume;
- a closed stdout (`| head`) ends quietly;
- the detection eval headlines COCO's AP, rounded as pycocotools prints it, and so does rescoring;
- the results file and the saved weights honour the umask.
"""

from __future__ import annotations

import glob
import json
import os
import shlex
import signal
import stat
import subprocess
import sys
import time

import numpy as np
import pytest
from safetensors.numpy import load_file

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = sys.executable
TRAIN = [PY, "-m", "paddlemix.rl.grpo.train"]
SYNTHETIC = [PY, "-m", "paddlemix.datasets.synthetic"]


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": REPO + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _umask_022():
    os.umask(0o022)


def run(argv, cwd, timeout=600) -> subprocess.CompletedProcess:
    """A command as the user runs it, under umask 022."""
    return subprocess.run(
        argv, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout, preexec_fn=_umask_022
    )


def interrupt_when(argv, cwd, ready, timeout=300) -> subprocess.CompletedProcess:
    """Start `argv`, send SIGINT (Ctrl-C) once `ready()` is true, and return the finished process."""
    # A shell's background job (`cmd &`) starts with SIGINT ignored, and Python then installs no Ctrl-C
    # handler: give the child the default disposition, so the test does not depend on how pytest was started.
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    start = time.time()
    while not ready() and proc.poll() is None and time.time() - start < timeout:
        time.sleep(0.2)
    assert proc.poll() is None, "the command ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    """A user's working copy: configs/ and the tiny checkpoints where the YAMLs name them, and the README's data."""
    root = tmp_path_factory.mktemp("clone")
    os.symlink(os.path.join(REPO, "configs"), root / "configs")
    os.makedirs(root / "tests" / "fixtures")
    os.symlink(os.path.join(REPO, "tests", "fixtures", "models"), root / "tests" / "fixtures" / "models")
    proc = run([*SYNTHETIC, "--task", "counting", "--out", "data/synthetic", "--n", "64"], root)
    assert proc.returncode == 0, proc.stderr
    return root


@pytest.mark.slow
def test_readme_smoke_run_trains_and_a_rerun_answers_in_one_line(clone):
    command = [*TRAIN, "--config", "configs/grpo_tiny_cpu.yaml"]  # the README's smoke command, verbatim
    first = run(command, clone)
    assert first.returncode == 0, first.stderr[-3000:]
    assert "no learning signal" not in first.stderr
    assert "run: grpo_tiny_cpu" in first.stderr and "2 prompts per step x G=4" in first.stderr  # run header
    out = clone / "work_dirs" / "grpo_tiny_cpu"
    before = load_file(
        os.path.join(REPO, "tests", "fixtures", "models", "qwen2_vl_tied", "model.safetensors")
    )
    after = load_file(str(out / "model.safetensors"))
    changed = [k for k in before if not np.array_equal(before[k], after[k])]
    assert len(changed) >= len(before) // 2, f"only {len(changed)} of {len(before)} tensors changed"
    assert stat.S_IMODE(os.stat(out / "model.safetensors").st_mode) == 0o644  # umask 022
    records = [json.loads(x) for x in (out / "completions.jsonl").read_text().splitlines()]
    assert len({tuple(sorted(r["rewards"].values())) for r in records}) > 1  # rewards vary
    assert "frac_reward_zero_std" in first.stderr

    second = run(command, clone)
    assert second.returncode == 2 and "Traceback" not in second.stderr
    line = last_line(second.stderr)
    assert line.startswith("error: --output_dir work_dirs/grpo_tiny_cpu: already holds a run's output")
    assert "--resume_from_checkpoint auto" in line and "--overwrite_output_dir" in line

    clean = run([*command, "--overwrite_output_dir", "--max_steps", "2", "--report_to", "visualdl"], clone)
    assert clean.returncode == 0, clean.stderr[-3000:]
    lines = (out / "completions.jsonl").read_text().splitlines()
    assert len(lines) == 2 * 2 * 4  # this run's steps x prompts x G only: nothing appended to the old file
    assert len(glob.glob(str(out / "runs" / "*" / "vdlrecords.*"))) == 1
    assert not glob.glob(str(out / "checkpoint-*"))  # max_steps 2 < save_steps 5: the old ones are gone


@pytest.mark.slow
def test_ctrl_c_in_training_names_the_checkpoint_and_the_command_that_resumes(clone):
    argv = [*TRAIN, "--config", "configs/grpo_tiny_cpu.yaml", "--max_steps", "100", "--save_steps", "2"]
    argv += ["--output_dir", "work_dirs/interrupted", "--save_total_limit", "1", "--report_to", "none"]
    # Any saved checkpoint will do: save_total_limit 1 deletes checkpoint-2 two steps later, and a poll that a
    # loaded machine delays past that window would otherwise wait for the run's end.
    saved = str(clone / "work_dirs" / "interrupted" / "checkpoint-*" / "manifest.json")
    proc = interrupt_when(argv, clone, lambda: bool(glob.glob(saved)))
    assert proc.returncode == 130 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    line = last_line(proc.stderr)
    assert line.startswith("interrupted: the last checkpoint is work_dirs/interrupted/checkpoint-"), line
    command = line.split("resume with: ", 1)[1]
    assert command.endswith("--resume_from_checkpoint auto")
    resumed = run([*shlex.split(command)[:1], *shlex.split(command)[1:], "--max_steps", "4"], clone)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resumed from work_dirs/interrupted/checkpoint-" in resumed.stderr


@pytest.mark.slow
def test_ctrl_c_in_an_eval_says_what_is_saved_and_that_the_command_resumes(clone):
    data = clone / "data" / "synthetic" / "Counting"
    argv = [PY, os.path.join(REPO, "eval", "test_r1-v.py"), "--model_name", "tiny", "--batch_size", "1"]
    argv += ["--model_path", "tests/fixtures/models/qwen2_vl_tied", "--data_root", str(data)]
    argv += ["--image_root", str(data / "superclevr_200"), "--output_dir", "logs", "--max_new_tokens", "32"]
    partials = lambda: glob.glob(str(clone / "logs" / "*.partial.jsonl"))  # noqa: E731

    def two_done():
        return any(len(open(p, encoding="utf-8").read().splitlines()) >= 3 for p in partials())

    proc = interrupt_when(argv, clone, two_done)
    assert proc.returncode == 130 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    line = last_line(proc.stderr)
    assert (
        line.startswith("interrupted: ") and " of 16 samples of superclevr_test200_counting_problems" in line
    )
    assert "partial.jsonl; run the same command again to resume" in line


def test_a_closed_stdout_ends_quietly(clone):
    argv = [*TRAIN, "--config", "configs/grpo_rec.yaml", "--print_config"]
    proc = subprocess.Popen(argv, cwd=clone, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader went away, as `| head -1` does
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert proc.returncode == 0


@pytest.mark.slow
def test_detection_eval_and_rescore_headline_coco_ap(clone):
    written = run(
        [*SYNTHETIC, "--task", "detection", "--out", "data/synthetic", "--n", "2", "--n-eval", "2"], clone
    )
    assert written.returncode == 0, written.stderr
    # the writer prints the eval command with the folders it takes: run exactly that one
    (line,) = [x for x in written.stdout.splitlines() if "evaluate_detection.py" in x and "val2017" in x]
    argv = shlex.split(line.split("eval: ", 1)[1].replace("MODEL", "tests/fixtures/models/qwen2_5_vl_tied"))
    argv = [PY, os.path.join(REPO, argv[1]), *argv[2:], "--max_new_tokens", "8", "--output_dir", "logs-det"]
    proc = run(argv, clone)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (headline,) = [x for x in proc.stdout.splitlines() if x.startswith(("AP of", "Accuracy of"))]
    assert headline.startswith("AP of instances_val2017: 0.000 (COCO AP@[.50:.95]"), headline
    (results,) = glob.glob(str(clone / "logs-det" / "detection_results_*.json"))
    assert stat.S_IMODE(os.stat(results).st_mode) == 0o644  # umask 022, not mkstemp's 0600
    rescored = run([PY, "-m", "paddlemix.evaluation.rescore", results], clone)
    assert rescored.returncode == 0, rescored.stderr
    assert rescored.stdout.strip().endswith("fixed AP 0.000 (COCO AP@[.50:.95]), equal to stored 0.000")
