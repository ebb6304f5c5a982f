"""The detection, grounding and counting eval commands (evaluation/localization.py) end to end on tiny models.

The tiny checkpoints answer gibberish, so the runs that check scoring replace `runner.generate_texts` with a
stand-in that answers each sample's ground truth in the model's own frame, in sample order.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from paddlemix.datasets.localization import load_coco_detection, load_grounding_eval
from paddlemix.datasets.synthetic.localization import write_detection_layout, write_grounding_layout
from paddlemix.evaluation import runner
from paddlemix.evaluation.localization import localization_parser, run_localization_cli
from paddlemix.evaluation.rescore import rescore
from paddlemix.metrics.detection.vision_r1 import solution_boxes
from tests.helpers import tiny_dir

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QWEN2_5, QWEN2 = tiny_dir("qwen2_5_vl_tied"), tiny_dir("qwen2_vl_tied")


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> str:
    """Synthetic Detection/ and Grounding/ folders with 5 eval samples per file."""
    out = str(tmp_path_factory.mktemp("data"))
    write_detection_layout(out, n=1, n_eval=5)
    write_grounding_layout(out, n=1, n_eval=5)
    return out


def coco_paths(data):
    """The synthetic COCO instances file and its image folder."""
    root = os.path.join(data, "Detection", "coco")
    return os.path.join(root, "annotations", "instances_val2017.json"), os.path.join(root, "val2017")


def run(command, *args):
    """Run an eval command in-process; returns split -> results."""
    return run_localization_cli(localization_parser(command), list(args))


def truth_answerer(answers, calls=None, fail_on_call=None):
    """A stand-in for `generate_texts` that returns answers[k](grid) for the k-th sample generated."""
    position = [0]

    def generate_texts(model, processor, inputs, max_new_tokens, eos):
        if calls is not None:
            calls.append(len(calls))
            if fail_on_call is not None and len(calls) == fail_on_call:
                raise KeyboardInterrupt
        texts = []
        for grid in inputs["image_grid_thw"].numpy().tolist():
            texts.append(answers[position[0]](grid))
            position[0] += 1
        return texts

    return generate_texts


def detection_answer(sample):
    """The sample's ground truth as Qwen2.5-VL would write it, in pixels of its resized input."""
    w, h = sample["image_size"]

    def answer(grid):
        sx, sy = grid[2] * 14 / w, grid[1] * 14 / h
        items = [
            {
                "bbox_2d": [round(b[0] * sx), round(b[1] * sy), round(b[2] * sx), round(b[3] * sy)],
                "label": name,
            }
            for name, b in solution_boxes(sample["solution"])
        ]
        return "```json\n" + json.dumps(items) + "\n```"

    return answer


def test_detection_command_end_to_end(data, tmp_path):
    # PR1's command line on the tiny model: gibberish scores 0, every image is in the results
    anno, images = coco_paths(data)
    logs = tmp_path / "logs"
    proc = subprocess.run(
        [sys.executable, os.path.join(REPO, "eval", "evaluate_detection.py"), "--model_path", QWEN2_5,
         "--anno_dir", anno, "--image_dir", images, "--max_new_tokens", "8", "--dtype", "float32",
         "--output_dir", str(logs)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    path = logs / "detection_results_instances_val2017_qwen2_5_vl_tied_r1_0.json"
    result = json.loads(path.read_text())
    assert len(result["results"]) == 5 and result["accuracy"] == 0.0
    assert set(result["coco_stats"]) >= {"AP", "AP50", "AP75"} and "num_repaired" in result
    assert rescore(str(path)) == 0.0


def test_detection_scores_the_truth_100_and_rescores_the_same(data, tmp_path, monkeypatch):
    anno, images = coco_paths(data)
    samples = list(load_coco_detection(anno, images))
    monkeypatch.setattr(runner, "generate_texts", truth_answerer([detection_answer(s) for s in samples]))
    out = run("detection", "--model_path", QWEN2_5, "--anno_dir", anno, "--image_dir", images, "--dtype",
              "float32", "--batch_size", "2", "--output_dir", str(tmp_path))  # fmt: skip
    data_ = out["instances_val2017"]
    # rounding to the resized input moves edges by under a pixel: AP@.5:.95 stays near 100
    assert data_["accuracy"] > 90 and data_["coco_stats"]["AP50"] == pytest.approx(100.0)
    path = str(tmp_path / "detection_results_instances_val2017_qwen2_5_vl_tied_r1_0.json")
    assert rescore(path) == data_["accuracy"]
    assert rescore(path, metric="vision_r1") == pytest.approx(data_["accuracy"], abs=1.0)
    # OVDEval's NMS removes nothing from exact answers (one box per ground truth)
    assert rescore(path, metric="ovdeval") == data_["accuracy"]
    # PR1 used the boxes raw (input pixels, not the image's), and dropped the last image
    assert rescore(path, metric="pr1") < data_["accuracy"]


def test_grounding_scores_the_truth_and_pr1_agrees(data, tmp_path, monkeypatch):
    anno = os.path.join(data, "Grounding", "annotations")
    images = os.path.join(data, "Grounding", "images")
    answers = []
    for split in ("refcoco_val", "refcoco_testA"):  # PR1's order
        for s in load_grounding_eval(os.path.join(anno, f"{split}.json"), images):
            x1, y1, x2, y2 = s["record"]["normalized_solution"]
            answers.append(lambda grid, b=(x1, y1, x2, y2): "the thing({},{}),({},{})".format(*b))
    monkeypatch.setattr(runner, "generate_texts", truth_answerer(answers))
    out = run("grounding", "--model_path", QWEN2, "--anno_dir", anno, "--image_dir", images, "--dtype",
              "float32", "--output_dir", str(tmp_path))  # fmt: skip
    assert list(out) == ["refcoco_val", "refcoco_testA"]
    for split, result in out.items():
        assert result["accuracy"] == 100.0
        assert result["average_scores"]["ACC@0.5"] == 100.0 and result["average_scores"]["IoU"] > 95
        path = str(tmp_path / f"grounding_results_{split}_qwen2_vl_tied_r1_0.json")
        assert rescore(path, metric="pr1") == 100.0


def test_counting_command_and_pr1_none_rule(data, tmp_path, monkeypatch):
    folder = os.path.join(data, "Grounding", "counting")
    with open(os.path.join(folder, "pixmo_count_val540.jsonl"), encoding="utf-8") as f:
        truths = [json.loads(line)["ground_truth"] for line in f]
    spans = [f"<|box_start|>({i},{i}),({i + 5},{i + 5})<|box_end|>" for i in range(0, 80, 10)]
    answers = [lambda grid, n=n: "".join(spans[:n]) or "There is none." for n in truths]
    monkeypatch.setattr(runner, "generate_texts", truth_answerer(answers))
    out = run("counting", "--model_path", QWEN2, "--anno_dir", folder, "--image_dir", folder, "--dtype",
              "float32", "--output_dir", str(tmp_path))  # fmt: skip
    assert out["pixmo_count_val540"]["accuracy"] == 100.0
    path = str(tmp_path / "counting_results_pixmo_count_val540_qwen2_vl_tied_r1_0.json")
    # PR1 scored an answer with no box as None, which never equals a count of 0
    expected = sum(t > 0 for t in truths) / len(truths) * 100
    assert rescore(path, metric="pr1") == pytest.approx(expected)


def test_interrupted_eval_resumes_without_redoing_samples(data, tmp_path, monkeypatch):
    anno, images = coco_paths(data)
    samples = list(load_coco_detection(anno, images))
    args = ("--model_path", QWEN2_5, "--anno_dir", anno, "--image_dir", images, "--dtype", "float32",
            "--batch_size", "2", "--output_dir", str(tmp_path))  # fmt: skip
    calls: list[int] = []
    answers = [detection_answer(s) for s in samples]
    monkeypatch.setattr(runner, "generate_texts", truth_answerer(answers, calls, fail_on_call=2))
    with pytest.raises(KeyboardInterrupt):
        run("detection", *args)
    partial = tmp_path / "detection_results_instances_val2017_qwen2_5_vl_tied_r1_0.partial.jsonl"
    assert partial.exists() and len(partial.read_text().splitlines()) == 1 + 2  # header + first batch
    calls.clear()
    monkeypatch.setattr(runner, "generate_texts", truth_answerer(answers[2:], calls))
    out = run("detection", *args)
    assert len(calls) == 2  # samples 3-4 and 5, not the first two again
    assert out["instances_val2017"]["accuracy"] > 90 and not partial.exists()


def test_eval_localization_script_runs_coco_and_an_odinw_subset(data, tmp_path):
    proc = subprocess.run(
        ["bash", os.path.join(REPO, "eval", "eval_localization.sh"), QWEN2_5, "qwen", "coco2017,ShapesDemo"],
        env={**os.environ, "DATA_ROOT": os.path.join(data, "Detection"), "OUTPUT_DIR": str(tmp_path),
             "DTYPE": "float32", "MAX_NEW_TOKENS": "8", "BATCH_SIZE": "5"},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "truncated outputs repaired: 0" in proc.stdout
    names = sorted(os.listdir(tmp_path))
    assert names == [
        "detection_results_ShapesDemo_qwen2_5_vl_tied_r1_0.json",
        "detection_results_instances_val2017_qwen2_5_vl_tied_r1_0.json",
    ]


def test_rescore_takes_no_model_flags(tmp_path):
    with pytest.raises(SystemExit):
        run("grounding", "--rescore", "x.json", "--model_path", "m")
