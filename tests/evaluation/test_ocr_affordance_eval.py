"""The OCR and affordance eval commands end to end on a tiny checkpoint (eval/evaluate_ocr.py, eval_aff_r1.sh).

The tiny checkpoint answers gibberish, so the runs that check scoring replace `runner.generate_texts` with one
that answers from the ground truth in order (batch size 1); loading, prompts, processor, records, segmenter,
scoring and files are the real path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from paddlemix.datasets.affordance import load_affordance_eval
from paddlemix.datasets.ocr import load_ocr
from paddlemix.datasets.synthetic import write_affordance_layout, write_ocr_layout
from paddlemix.evaluation import runner
from paddlemix.evaluation.affordance import affordance_parser, run_affordance
from paddlemix.evaluation.affordance import fill_defaults as aff_defaults
from paddlemix.evaluation.config import EvalConfig
from paddlemix.evaluation.ocr import fill_defaults, ocr_parser, run_ocr
from paddlemix.evaluation.partial import partial_path
from paddlemix.evaluation.rescore import rescore
from paddlemix.metrics.affordance import solution_items
from paddlemix.tasks import get_task
from tests.helpers import tiny_dir

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QWEN2 = tiny_dir("qwen2_vl_tied")


def in_order(answers, calls=None, fail_on_call=None):
    """A `generate_texts` stand-in returning `answers` one per call, in order (batch size 1)."""
    queue = list(answers)

    def generate_texts(model, processor, inputs, max_new_tokens, eos):
        if calls is not None:
            calls.append(len(calls))
            if fail_on_call is not None and len(calls) == fail_on_call:
                raise KeyboardInterrupt
        return [queue.pop(0) for _ in range(inputs["input_ids"].shape[0])]

    return generate_texts


def ocr_cfg(root, out):
    parser = ocr_parser()
    args = fill_defaults(
        parser.parse_args(
            ["--model_path", QWEN2, "--anno_dir", f"{root}/eval", "--image_dir", root, "--dtype", "float32"]
            + ["--max_new_tokens", "4", "--batch_size", "1", "--output_dir", out]
        )
    )
    fields = {k: v for k, v in vars(args).items() if k in EvalConfig.__dataclass_fields__}
    return EvalConfig(**fields)


def test_ocr_eval_scores_and_resumes(tmp_path, monkeypatch):
    root = write_ocr_layout(str(tmp_path / "data"), n=1, n_eval=3)
    cfg = ocr_cfg(root, str(tmp_path / "logs"))
    assert cfg.test_datasets[0] == "en_page_ocr" and cfg.max_new_tokens == 4
    truths = [s["solution"] for s in load_ocr(os.path.join(root, "eval", "en_page_ocr.json"), root)]
    # First run: the right text for sample 0, then an interruption.
    calls = []
    monkeypatch.setattr(runner, "generate_texts", in_order(truths, calls, fail_on_call=2))
    with pytest.raises(KeyboardInterrupt):
        run_ocr(cfg)
    path = str(tmp_path / "logs" / "ocr_results_en_page_ocr_qwen2_vl_tied_r1_100.json")
    assert os.path.isfile(partial_path(path))
    # Resumed: only samples 1 and 2 are generated; sample 2 is read with one wrong character.
    wrong = truths[2][:-1] + ("x" if truths[2][-1] != "x" else "y")
    calls.clear()
    monkeypatch.setattr(runner, "generate_texts", in_order([truths[1], wrong], calls))
    data = run_ocr(cfg)["en_page_ocr"]
    assert len(calls) == 2 and len(data["results"]) == 3
    expected = 100 / len(truths[2]) / 3
    assert data["accuracy"] == pytest.approx(expected) == rescore(path)
    assert data["metrics"]["edit_dist"] == pytest.approx(expected)
    assert data["metrics"]["meteor"] == "unavailable" or data["metrics"]["meteor"] > 0
    assert not os.path.exists(partial_path(path))


def test_ocr_command_line_runs(tmp_path):
    root = write_ocr_layout(str(tmp_path / "data"), n=1, n_eval=2)
    proc = subprocess.run(
        [sys.executable, os.path.join(REPO, "eval", "evaluate_ocr.py"), "--model_path", QWEN2]
        + ["--anno_dir", f"{root}/eval", "--image_dir", root, "--dtype", "float32", "--max_new_tokens", "4"]
        + ["--output_dir", str(tmp_path / "logs")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    files = os.listdir(tmp_path / "logs")
    assert files == ["ocr_results_en_page_ocr_qwen2_vl_tied_r1_100.json"]


def norm1000_answer(solution: str) -> str:
    """The ground truth of a sample as a Qwen2-VL model would answer it: 0-1000 coordinates."""
    items = [
        {
            "bbox_2d": [round(v / 840 * 1000) for v in item["bbox_2d"]],
            "point_2d": [round(v / 840 * 1000) for v in item["point_2d"]],
            "affordance": item["affordance"],
        }
        for item in solution_items(solution)
    ]
    return f"<think>a.</think> <rethink>b.</rethink> <answer>{json.dumps(items)}</answer>"


def affordance_setup(tmp_path, model, n_eval, *flags):
    """A synthetic ReasonAff test set of `n_eval` 112 px samples and the eval's (data path, EvalConfig, args)
    for `model` with the box segmenter, batch size 1, writing to `tmp_path/logs`."""
    root = write_affordance_layout(str(tmp_path / "data"), n=1, n_eval=n_eval, size=112)
    data_path = os.path.join(root, "reasonaff_test")
    argv = ["--model_path", model, "--test_data_path", data_path, "--segmenter", "box", "--resize", "112"]
    argv += ["--dtype", "float32", "--max_new_tokens", "4", "--batch_size", "1"]
    argv += ["--output_dir", str(tmp_path / "logs"), *flags]
    args = aff_defaults(affordance_parser().parse_args(argv))
    cfg = EvalConfig(**{k: v for k, v in vars(args).items() if k in EvalConfig.__dataclass_fields__})
    return data_path, cfg, args


def test_affordance_eval_scores_failures_as_zero_and_resumes(tmp_path, monkeypatch):
    data_path, cfg, args = affordance_setup(tmp_path, QWEN2, n_eval=3)
    samples = load_affordance_eval(data_path, resize=112)
    answers = [norm1000_answer(s["solution"]) for s in samples]
    answers[1] = "<answer>[{'bbox_2d': [1, 2]}]</answer>"  # malformed: must score 0, not be skipped
    calls = []
    monkeypatch.setattr(runner, "generate_texts", in_order(answers, calls, fail_on_call=3))
    with pytest.raises(KeyboardInterrupt):
        run_affordance(cfg, args)
    calls.clear()
    monkeypatch.setattr(runner, "generate_texts", in_order(answers[2:], calls))
    data = run_affordance(cfg, args)["reasonaff_test"]
    assert len(calls) == 1 and len(data["results"]) == 3 and data["num_skipped"] == 0
    assert data["comparable"] is False and data["segmenter"] == "box"
    assert [f["image_id"] for f in data["failures"]] == [samples[1]["id"]]
    failed = data["results"][1]
    assert failed["intersection"] == 0 and failed["union"] > 0 and failed["correct"] == 0
    # The box of the right part covers the part: IoU well above 0, and the same number on rescore.
    good = [r for r in data["results"] if not r["failure"]]
    assert all(r["intersection"] > 0.3 * r["union"] for r in good)
    path = str(tmp_path / "logs" / "affordance_results_reasonaff_test_qwen2_vl_tied_r1_100.json")
    assert rescore(path) == pytest.approx(data["metrics"]["gIoU"]) == pytest.approx(data["accuracy"])
    assert get_task("affordance").score(data["results"], "cIoU").value == pytest.approx(
        data["metrics"]["cIoU"]
    )


def test_eval_aff_r1_script_with_the_box_segmenter(tmp_path):
    root = write_affordance_layout(str(tmp_path / "data"), n=1, n_eval=2, size=112)
    env = {**os.environ, "SEGMENTER": "box", "OUTPUT_DIR": str(tmp_path / "logs")}
    proc = subprocess.run(
        ["bash", os.path.join(REPO, "eval", "eval_aff_r1.sh"), QWEN2, os.path.join(root, "reasonaff_test")]
        + ["--dtype", "float32", "--max_new_tokens", "4", "--resize", "112"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "NOT comparable" in proc.stdout
    (name,) = os.listdir(tmp_path / "logs")
    with open(tmp_path / "logs" / name, encoding="utf-8") as f:
        data = json.load(f)
    # The tiny model answers gibberish: every sample fails, is reported, and scores 0.
    assert data["num_failures"] == 2 and data["metrics"]["gIoU"] == 0.0


def test_missing_sam2_is_one_line_and_exit_2(tmp_path):
    try:
        import sam2  # noqa: F401

        pytest.skip("sam2 is installed here")
    except ImportError:
        pass
    root = write_affordance_layout(str(tmp_path / "data"), n=1, n_eval=1, size=112)
    proc = subprocess.run(
        ["bash", os.path.join(REPO, "eval", "eval_aff_r1.sh"), QWEN2, os.path.join(root, "reasonaff_test")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert (
        proc.returncode == 2
        and "error: SAM2 is not usable" in proc.stderr
        and "--segmenter box" in proc.stderr
    )
