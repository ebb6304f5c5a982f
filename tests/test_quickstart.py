"""The quickstart's pieces, fast: data, tiny model, eval, reward scoring, launch command, curve and plot.

The full run (`bash scripts/quickstart.sh`, a few minutes) is not part of the suite; the GRPO launch it makes
is the one tests/scripts/test_run_grpo.py runs on 2 CPU processes.
"""

from __future__ import annotations

import json
import os

import pytest

from paddlemix import quickstart


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A tiny model and 6 held-out counting scenes of 1-3 objects on a 3x3 grid."""
    root = tmp_path_factory.mktemp("quickstart")
    os.environ.setdefault("PADDLEMIX_DATA_CACHE", str(root / "cache"))
    model = quickstart.copy_tiny_model(str(root / "model"))
    counting = quickstart.write_data(str(root / "data"), n_train=4, n_eval=6, max_items=3)
    return root, model, counting


def test_data_and_model(workdir):
    root, model, counting = workdir
    assert os.path.isfile(os.path.join(model, "model.safetensors"))
    counts = quickstart.eval_counts(counting)
    assert len(counts) == 6 and all(1 <= c <= 3 for c in counts)


def test_evaluate_scores_greedy_outputs(workdir):
    root, model, counting = workdir
    scores = quickstart.evaluate(model, counting, str(root / "eval"), max_new_tokens=1)
    assert set(scores) == {"metric", "metric_pct", "accuracy_pct", "accuracy", "reward"}
    assert 0.0 <= scores["accuracy_pct"] <= 100.0
    assert scores["metric"] == "accuracy" and scores["metric_pct"] == scores["accuracy_pct"]
    assert scores["reward"] == pytest.approx(scores["accuracy"])


def test_score_outputs():
    scores = quickstart.score_outputs(["3", "x", "2"], [3, 1, 4])
    assert scores == pytest.approx({"accuracy": 1 / 3, "reward": 1 / 3})  # only the first is right


def test_best_constant():
    assert quickstart.best_constant_pct([1, 2, 2, 3]) == 50.0  # always "2"
    assert quickstart.best_constant_pct([1, 2, 3]) == pytest.approx(100 / 3)


def test_shuffled_copy_keeps_questions_and_permutes_images(workdir):
    root, _, counting = workdir
    shuffled = quickstart.shuffled_copy(counting, str(root / "shuffled"), seed=0)
    with open(os.path.join(counting, quickstart.EVAL_SET + ".jsonl")) as f:
        original = [json.loads(line) for line in f]
    with open(os.path.join(shuffled, quickstart.EVAL_SET + ".jsonl")) as f:
        permuted = [json.loads(line) for line in f]
    assert [r["ground_truth"] for r in permuted] == [r["ground_truth"] for r in original]
    assert sorted(r["image_path"] for r in permuted) == sorted(r["image_path"] for r in original)
    assert [r["image_path"] for r in permuted] != [r["image_path"] for r in original]


def test_launch_commands_use_the_launcher_and_the_package_entries():
    args = quickstart.parse_args([])
    sft = " ".join(quickstart.sft_command("m", "d", "o", args))
    grpo = " ".join(quickstart.grpo_command("m", "d", "o", args))
    assert "-m paddle.distributed.launch --nproc_per_node 2" in sft
    assert "-m paddlemix.sft.train" in sft and "--target_format answer" in sft
    assert "-m paddlemix.rl.grpo.train" in grpo and "--reward_funcs accuracy" in grpo


def test_accuracy_curve_from_visualdl_and_plot(tmp_path):
    from visualdl import LogWriter

    with LogWriter(logdir=str(tmp_path / "runs" / "quickstart")) as w:
        for step, value in enumerate([0.1, 0.5, 0.9], start=1):
            w.add_scalar(tag="train/rewards/accuracy", value=value, step=step)
    curve = quickstart.read_reward_curve(str(tmp_path / "runs"), tag="train/rewards/accuracy")
    assert curve == [(1, pytest.approx(0.1)), (2, pytest.approx(0.5)), (3, pytest.approx(0.9))]
    evals = {"before": (0, 0.0), "after": (3, 80.0)}
    png = quickstart.plot_curve(curve, evals, 33.3, str(tmp_path / "curve.png"))
    assert os.path.getsize(png) > 1000
    result = {
        "before": {"accuracy_pct": 0.0},
        "after_sft": {"accuracy_pct": 55.0},
        "after": {"accuracy_pct": 72.5},
        "best_constant_pct": 34.0,
        "shuffled_images_pct": 33.0,
    }
    text = quickstart.summary(result)
    assert "72.5" in text and "55.0" in text and "34.0" in text


@pytest.mark.parametrize(
    "asset, fixture",
    [
        ("tiny_qwen2_vl", "qwen2_vl_tied"),
        ("tiny_qwen2_5_vl", "qwen2_5_vl_tied"),
        ("tiny_qwen3_vl", "qwen3_vl_tied"),
    ],
)
def test_the_shipped_tiny_model_is_the_test_fixture(asset, fixture):
    # paddlemix/assets/tiny_* are package data (a non-editable install has them); they must not drift
    # from the fixtures the rest of the suite tests.
    from tests.helpers import tiny_dir

    shipped = os.path.join(os.path.dirname(os.path.dirname(quickstart.__file__)), "assets", asset)
    for name in quickstart.MODEL_FILES:
        with (
            open(os.path.join(shipped, name), "rb") as a,
            open(os.path.join(tiny_dir(fixture), name), "rb") as b,
        ):
            assert a.read() == b.read(), name


INSTALLED_PROBE = """
import os, sys
import paddlemix
from paddlemix import quickstart
from paddlemix.models import AutoModelForConditionalGeneration
from paddlemix.processors import Qwen2VLProcessor

assert paddlemix.__file__.startswith(sys.argv[1]), paddlemix.__file__
model_dir = quickstart.copy_tiny_model(os.path.join(sys.argv[2], "model"))
model = AutoModelForConditionalGeneration.from_pretrained(model_dir, dtype="float32")
processor = Qwen2VLProcessor.from_pretrained(model_dir)
print("ok", model.config.model_type, processor.tokenizer.eos_token_id)
"""


@pytest.mark.slow
def test_a_non_editable_install_has_the_quickstart_model(tmp_path):
    # `pip install .` (not -e) of a copy of the sources into a target folder, then the quickstart's model
    # copy and load from there, run outside the repository: only package data can make this work.
    import shutil
    import subprocess
    import sys

    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    src, target, work = tmp_path / "src", tmp_path / "site", tmp_path / "work"
    src.mkdir()
    shutil.copy(os.path.join(repo, "setup.py"), src / "setup.py")
    shutil.copytree(
        os.path.join(repo, "paddlemix"), src / "paddlemix", ignore=shutil.ignore_patterns("__pycache__")
    )
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index"]
    done = subprocess.run(
        [*pip, "--target", str(target), str(src)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(target)
    run = subprocess.run(
        [sys.executable, "-c", INSTALLED_PROBE, str(target), str(work)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip().splitlines()[-1].startswith("ok qwen2_vl")


@pytest.mark.slow
def test_a_shortened_quickstart_learns_to_count(tmp_path):
    # The real pipeline (data, SFT and GRPO launched on 2 processes, evals), shortened: the model must beat
    # the best constant answer by a clear margin, and lose it when the images are shuffled.
    result = quickstart.main(
        ["--workdir", str(tmp_path / "qs"), "--n_train", "2000", "--n_eval", "90"]
        + ["--sft_steps", "300", "--grpo_steps", "10"]
    )
    constant = result["best_constant_pct"]
    assert result["before"]["accuracy_pct"] < constant
    assert result["after"]["accuracy_pct"] >= constant + 12, result
    assert result["shuffled_images_pct"] < result["after"]["accuracy_pct"] - 8, result
    assert os.path.getsize(tmp_path / "qs" / "reward_curve.png") > 1000
