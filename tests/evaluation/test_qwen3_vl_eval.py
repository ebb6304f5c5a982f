"""Every eval with `--model_path` a tiny Qwen3-VL checkpoint: the commands run, and right answers in Qwen3-VL's
0-1000 frame score the maximum (generation replaced by an answerer; loading, processor, scoring are real)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from paddlemix.datasets.affordance import load_affordance_eval
from paddlemix.datasets.localization import load_coco_detection, load_grounding_eval
from paddlemix.datasets.synthetic import (
    write_counting_layout,
    write_ocr_layout,
    write_rec_layout,
)
from paddlemix.datasets.synthetic.localization import write_detection_layout, write_grounding_layout
from paddlemix.evaluation import runner
from paddlemix.evaluation.affordance import run_affordance
from paddlemix.evaluation.rec import run_rec
from paddlemix.evaluation.rescore import rescore
from paddlemix.metrics.detection.vision_r1 import solution_boxes
from tests.evaluation.test_eval_commands import (
    TEST_R1V,
    TEST_REC,
    box_answerer,
    load,
    rec_config,
    run_script,
    write_rec_file,
)
from tests.evaluation.test_localization_eval import coco_paths, run, truth_answerer
from tests.evaluation.test_ocr_affordance_eval import affordance_setup, in_order, norm1000_answer
from tests.helpers import tiny_dir

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QWEN3 = tiny_dir("qwen3_vl_tied")
FRAME = "qwen2_vl_norm1000"


@pytest.mark.slow
def test_rec_command_runs(tmp_path):
    data = write_rec_layout(str(tmp_path / "d"), n=1, n_eval=3)
    run_script(
        TEST_REC,
        *("--model_name", "Qwen3-VL-2B-Instruct", "--method", "r1", "--model_path", QWEN3),
        *("--data_root", os.path.join(data, "rec_jsons_processed"), "--image_root", data),
        *("--test_datasets", "refcoco_val", "--batch_size", "2", "--sample_num", "2"),
        *("--steps", "1", "--dtype", "float32", "--max_new_tokens", "4"),
        cwd=tmp_path,
    )
    out = load(tmp_path / "logs" / "rec_results_refcoco_val_qwen3-vl-2b-instruct_r1_1.json")
    assert len(out["results"]) == 2
    assert all(r["coord_frame"] == FRAME and r["model_type"] == "qwen3_vl" for r in out["results"])


def test_rec_right_answers_in_the_0_1000_frame_score_100(tmp_path, monkeypatch):
    truth = write_rec_file(tmp_path, [(200, 150), (90, 120), (160, 160), (300, 100)])
    monkeypatch.setattr(runner, "generate_texts", box_answerer(truth, FRAME))
    out = run_rec(rec_config(tmp_path, model=QWEN3, max_pixels=64 * 64))["things"]
    assert (
        out["accuracy"] == 100.0 == rescore(str(tmp_path / "logs" / "rec_results_things_tiny-vl_r1_7.json"))
    )
    # the resized inputs (multiples of 32 px) differ from the images, so the frame mattered
    assert any(r["image_grid_thw"][1] * 16 != r["image_size"][1] for r in out["results"])
    assert all(r["input_size"] == [g * 16 for g in r["image_grid_thw"][1:]] for r in out["results"])


@pytest.mark.slow
def test_r1v_command_runs(tmp_path):
    data = write_counting_layout(str(tmp_path / "d"), n=1, n_eval=2)
    run_script(
        TEST_R1V,
        *("--model_name", "Qwen3-VL-2B-Instruct", "--method", "r1", "--model_path", QWEN3),
        *("--data_root", data, "--image_root", os.path.join(data, "superclevr_200")),
        *("--test_datasets", "superclevr_test200_counting_problems", "--batch_size", "2"),
        *("--steps", "1", "--dtype", "float32", "--max_new_tokens", "4"),
        cwd=tmp_path,
    )
    path = (
        tmp_path / "logs" / "r1-v_results_superclevr_test200_counting_problems_qwen3-vl-2b-instruct_r1_1.json"
    )
    assert len(load(path)["results"]) == 2


def test_detection_right_answers_in_the_0_1000_frame_score_100(tmp_path, monkeypatch):
    data = str(tmp_path / "d")
    write_detection_layout(data, n=1, n_eval=3)
    anno, images = coco_paths(data)

    def answer(sample):
        w, h = sample["image_size"]
        items = [
            {"bbox_2d": [round(b[0] * 1000 / w), round(b[1] * 1000 / h), round(b[2] * 1000 / w),
                         round(b[3] * 1000 / h)], "label": name}
            for name, b in solution_boxes(sample["solution"])
        ]  # fmt: skip
        return lambda grid: "```json\n" + json.dumps(items) + "\n```"

    samples = list(load_coco_detection(anno, images))
    monkeypatch.setattr(runner, "generate_texts", truth_answerer([answer(s) for s in samples]))
    out = run("detection", "--model_path", QWEN3, "--anno_dir", anno, "--image_dir", images, "--dtype",
              "float32", "--batch_size", "1", "--output_dir", str(tmp_path))["instances_val2017"]  # fmt: skip
    assert out["coco_stats"]["AP50"] == pytest.approx(100.0)


@pytest.mark.slow
def test_grounding_right_answers_in_the_0_1000_frame_score_100(tmp_path, monkeypatch):
    data = str(tmp_path / "d")
    write_grounding_layout(data, n=1, n_eval=2)
    anno, images = os.path.join(data, "Grounding", "annotations"), os.path.join(data, "Grounding", "images")
    answers = []
    for split in ("refcoco_val", "refcoco_testA"):
        for sample in load_grounding_eval(os.path.join(anno, f"{split}.json"), images):
            box = sample["record"]["normalized_solution"]  # 0-1000 of the image
            answers.append(lambda grid, b=box: "the thing({},{}),({},{})".format(*b))
    monkeypatch.setattr(runner, "generate_texts", truth_answerer(answers))
    out = run("grounding", "--model_path", QWEN3, "--anno_dir", anno, "--image_dir", images, "--dtype",
              "float32", "--output_dir", str(tmp_path))  # fmt: skip
    assert [r["accuracy"] for r in out.values()] == [100.0, 100.0]


def test_ocr_command_runs(tmp_path):
    root = write_ocr_layout(str(tmp_path / "data"), n=1, n_eval=1)
    proc = subprocess.run(
        [sys.executable, os.path.join(REPO, "eval", "evaluate_ocr.py"), "--model_path", QWEN3]
        + ["--anno_dir", f"{root}/eval", "--image_dir", root, "--dtype", "float32", "--max_new_tokens", "4"]
        + ["--output_dir", str(tmp_path / "logs")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert os.listdir(tmp_path / "logs") == ["ocr_results_en_page_ocr_qwen3_vl_tied_r1_100.json"]


def test_affordance_right_answers_in_the_0_1000_frame_cover_the_part(tmp_path, monkeypatch):
    data_path, cfg, args = affordance_setup(tmp_path, QWEN3, n_eval=2)
    answers = [norm1000_answer(s["solution"]) for s in load_affordance_eval(data_path, resize=112)]
    monkeypatch.setattr(runner, "generate_texts", in_order(answers))
    data = run_affordance(cfg, args)["reasonaff_test"]
    assert data["num_skipped"] == 0 and not any(r["failure"] for r in data["results"])
    assert all(r["intersection"] > 0.3 * r["union"] for r in data["results"])
