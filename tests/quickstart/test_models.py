"""`--model` of the one-box quickstarts: another tiny checkpoint, its own pixel budget and coordinate frame."""

from __future__ import annotations

import glob
import json

import pytest

from paddlemix.quickstart.__main__ import main
from paddlemix.quickstart.one_box import GroundingQuickstart, RecQuickstart
from paddlemix.quickstart.runner import parse_args
from tests.quickstart.test_tasks_end_to_end import SHORT


def test_the_default_models_are_unchanged_and_qwen3_vl_is_offered():
    assert parse_args(RecQuickstart(), []).model == "qwen2_5_vl"
    assert parse_args(GroundingQuickstart(), []).model == "qwen2_vl"
    assert parse_args(RecQuickstart(), ["--model", "qwen3_vl"]).model == "qwen3_vl"


def test_an_unknown_model_is_a_one_line_error(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--task", "rec", "--model", "llava"])
    assert e.value.code == 2
    assert "invalid choice: 'llava'" in capsys.readouterr().err


def test_the_rec_quickstart_runs_qwen3_vl_in_its_frame_with_the_controls(tmp_path):
    work = tmp_path / "rec_qwen3"
    main(["--task", "rec", "--model", "qwen3_vl", "--workdir", str(work), *SHORT])
    summary = json.loads((work / "summary.json").read_text())
    assert summary["model"] == "qwen3_vl"
    for stage in ("before", "after_sft", "after"):
        assert summary[stage]["metric"] == "Acc@0.5"
    assert 0.0 < summary["best_constant_pct"] <= 100.0
    for control in ("shuffled_images_pct", "wrong_frame_pct"):
        assert 0.0 <= summary[control] <= 100.0
    assert summary["grpo_train_curve"] and summary["sft_loss_curve"]
    # Qwen3-VL's 32-px merged tokens: every 120-162 px board is a 96 x 96 input (3 x 3 tokens), read in 0-1000
    (path,) = glob.glob(str(work / "eval_after" / "rec_results_*.json"))
    results = json.loads(open(path).read())["results"]
    assert {tuple(r["input_size"]) for r in results} == {(96, 96)}
    assert {tuple(r["image_grid_thw"]) for r in results} == {(1, 6, 6)}
    assert {r["coord_frame"] for r in results} == {"qwen2_vl_norm1000"}
    assert all(r["image_size"][0] % 32 != 0 for r in results)  # the processor resized each one
