"""Eval galleries (`--visualize N`, `paddlemix/visualize/gallery.py`) of test_rec, test_r1-v, the
localization evals, OCR, affordance and `--rescore`: the HTML is opened and its entries and pictures checked
(helpers.py), boxes found at the pixels the answer names and the selection order recomputed here."""

from __future__ import annotations

import dataclasses
import json
import os
import re

import pytest

from paddlemix.datasets.localization import load_coco_detection, load_grounding_eval
from paddlemix.datasets.ocr import load_ocr
from paddlemix.datasets.synthetic import write_counting_layout, write_ocr_layout
from paddlemix.datasets.synthetic.localization import write_detection_layout, write_grounding_layout
from paddlemix.evaluation import runner
from paddlemix.evaluation.affordance import run_affordance
from paddlemix.evaluation.ocr import run_ocr
from paddlemix.evaluation.r1v import run_r1v
from paddlemix.evaluation.rec import run_rec
from paddlemix.evaluation.rescore import main as rescore_main
from paddlemix.evaluation.runner import EvalConfig
from paddlemix.visualize.gallery import Entry, select
from tests.evaluation.test_eval_commands import QWEN2, box_answerer, rec_config, write_rec_file
from tests.evaluation.test_localization_eval import QWEN2 as QWEN2_TIED
from tests.evaluation.test_localization_eval import QWEN2_5, coco_paths, detection_answer, run, truth_answerer
from tests.evaluation.test_ocr_affordance_eval import affordance_setup, in_order, ocr_cfg
from tests.visualize.helpers import box_drawn_at, colours, open_gallery


def test_rec_gallery_shows_8_samples_with_prediction_and_truth(tmp_path, monkeypatch):
    truth = write_rec_file(tmp_path, [(80 + 8 * i, 64 + 4 * i) for i in range(10)])
    monkeypatch.setattr(runner, "generate_texts", box_answerer(truth, "qwen2_5_vl_abs"))
    run_rec(rec_config(tmp_path, batch_size=4, visualize=8))
    index = tmp_path / "logs" / "gallery" / "rec_results_things_tiny-vl_r1_7" / "index.html"
    page = open_gallery(index)
    assert page.entries == 8 and len(page.images) == 8
    assert all(colours(index.parent / src) == (True, True) for src in page.images)
    text = index.read_text()
    assert text.count("IoU ") == 8 and "describes: thing" in text and "bbox_2d" in text

    # --rescore draws the same gallery from the results file, the images found through its run header
    os.remove(index)
    results = tmp_path / "logs" / "rec_results_things_tiny-vl_r1_7.json"
    rescore_main([str(results), "--visualize", "8", "--visualize_select", "worst"])
    assert open_gallery(index).entries == 8


def test_r1v_gallery(tmp_path, monkeypatch):
    data = os.path.join(write_counting_layout(str(tmp_path), n=1, n_eval=9))
    monkeypatch.setattr(
        runner,
        "generate_texts",
        lambda m, p, inputs, n, eos: ["<answer>3</answer>"] * len(inputs["input_ids"]),
    )
    cfg = EvalConfig(
        model_name="Tiny", model_path=QWEN2, data_root=data, image_root=os.path.join(data, "superclevr_200"),
        test_datasets=["superclevr_test200_counting_problems"], batch_size=4, sample_num=None,
        dtype="float32", max_new_tokens=4, output_dir=str(tmp_path / "logs"), visualize=8,
    )  # fmt: skip
    run_r1v(cfg)
    index = tmp_path / "logs" / "gallery" / "r1-v_results_superclevr_test200_counting_problems_tiny_r1_100"
    page = open_gallery(index / "index.html")
    assert page.entries == 8
    assert (index / "index.html").read_text().count("correct ") == 8


def test_detection_gallery_worst_first(tmp_path, monkeypatch):
    write_detection_layout(str(tmp_path), n=1, n_eval=9)
    anno, images = coco_paths(str(tmp_path))
    samples = list(load_coco_detection(anno, images))
    answers = [detection_answer(s) for s in samples]
    answers[3] = lambda grid: "[]"  # one image answered with nothing: AP 0, the worst
    monkeypatch.setattr(runner, "generate_texts", truth_answerer(answers))
    run("detection", "--model_path", QWEN2_5, "--anno_dir", anno, "--image_dir", images, "--dtype", "float32",
        "--output_dir", str(tmp_path / "logs"), "--visualize", "8", "--visualize_select", "worst")  # fmt: skip
    index = (
        tmp_path
        / "logs"
        / "gallery"
        / "detection_results_instances_val2017_qwen2_5_vl_tied_r1_0"
        / "index.html"
    )
    page = open_gallery(index)
    assert page.entries == 8
    first = index.read_text().split("class='entry'")[1]
    assert "AP 0.000" in first and os.path.basename(samples[3]["image"]) in first


def iou(a, b) -> float:
    """Intersection over union of two (x1, y1, x2, y2) boxes."""
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def norm1000_to_pixels(box, image_size):
    """A Qwen2-VL 0-1000 box in pixels of an image of `image_size` (w, h)."""
    w, h = image_size
    return [box[0] * w / 1000, box[1] * h / 1000, box[2] * w / 1000, box[3] * h / 1000]


def grounding_run(tmp_path, monkeypatch, *flags):
    """The grounding eval of 9 samples per split on the tiny Qwen2-VL, each answered with its true box shifted
    right by a different amount (distinct IoUs); returns (refcoco_val results file, its gallery index)."""
    write_grounding_layout(str(tmp_path), n=1, n_eval=9)
    anno, images = str(tmp_path / "Grounding" / "annotations"), str(tmp_path / "Grounding" / "images")
    answers = []
    for split in ("refcoco_val", "refcoco_testA"):  # the command's order
        for i, s in enumerate(load_grounding_eval(os.path.join(anno, f"{split}.json"), images)):
            x1, y1, x2, y2 = s["record"]["normalized_solution"]
            dx = (i * 5) % 9 * 8
            answers.append(lambda grid, b=(x1 + dx, y1, x2 + dx, y2): "the thing({},{}),({},{})".format(*b))
    monkeypatch.setattr(runner, "generate_texts", truth_answerer(answers))
    run("grounding", "--model_path", QWEN2_TIED, "--anno_dir", anno, "--image_dir", images, "--dtype", "float32",
        "--max_new_tokens", "4", "--output_dir", str(tmp_path / "logs"), "--visualize", "8", *flags)  # fmt: skip
    stem = "grounding_results_refcoco_val_qwen2_vl_tied_r1_0"
    return tmp_path / "logs" / f"{stem}.json", tmp_path / "logs" / "gallery" / stem / "index.html"


def answered_box(result) -> list[float]:
    """The box a grounding answer `the thing(x1,y1),(x2,y2)` names, in original pixels clamped to the image."""
    box = norm1000_to_pixels([float(v) for v in re.findall(r"\d+", result["model_output"])], result["image_size"])
    w, h = result["image_size"]
    return [min(max(v, 0.0), side) for v, side in zip(box, (w, h, w, h))]


def test_grounding_gallery_draws_the_answer_box_worst_first(tmp_path, monkeypatch):
    path, index = grounding_run(tmp_path, monkeypatch, "--visualize_select", "worst")
    results = json.loads(path.read_text())["results"]
    page = open_gallery(index)
    assert page.entries == 8 and len(page.images) == 8
    ious = [iou(answered_box(r), r["ground_truth"]) for r in results]
    assert len(set(round(v, 6) for v in ious)) == len(ious)  # distinct: the order is unambiguous
    worst = sorted(range(len(results)), key=lambda i: ious[i])[:8]
    assert [row["path"] for row in page.rows] == [results[i]["image"] for i in worst]
    for row, src, i in zip(page.rows, page.images, worst):
        assert row["score"] == f"IoU {ious[i]:.3f}"
        assert box_drawn_at(index.parent / src, answered_box(results[i]), results[i]["image_size"][0])
    # the same results file, best first and at random (seeded: twice the same 8), through --rescore
    rescore_main([str(path), "--visualize", "8", "--visualize_select", "best"])
    best = sorted(range(len(results)), key=lambda i: -ious[i])[:8]
    assert [row["path"] for row in open_gallery(index).rows] == [results[i]["image"] for i in best]
    shown = []
    for _ in range(2):
        rescore_main([str(path), "--visualize", "8", "--visualize_select", "random"])
        shown.append([row["path"] for row in open_gallery(index).rows])
    images = [r["image"] for r in results]
    assert shown[0] == shown[1] and len(set(shown[0])) == 8 and set(shown[0]) <= set(images)


def test_ocr_gallery_shows_question_answer_and_edit_distance(tmp_path, monkeypatch):
    root = write_ocr_layout(str(tmp_path / "data"), n=1, n_eval=9)
    truths = [s["solution"] for s in load_ocr(os.path.join(root, "eval", "en_page_ocr.json"), root)]
    answers = [t[: len(t) - i] for i, t in enumerate(truths)]  # i characters missing: edit distance grows
    monkeypatch.setattr(runner, "generate_texts", in_order(answers))
    run_ocr(dataclasses.replace(ocr_cfg(root, str(tmp_path / "logs")), visualize=8))
    stem = "ocr_results_en_page_ocr_qwen2_vl_tied_r1_100"
    results = json.loads((tmp_path / "logs" / f"{stem}.json").read_text())["results"]
    page = open_gallery(tmp_path / "logs" / "gallery" / stem / "index.html")
    assert page.entries == 8 and len(page.images) == 8
    for row, result, answer in zip(page.rows, results, answers):  # --visualize_select first: result order
        assert row["path"] == result["image"]
        assert "OCR" in row["question"] and row["question"].strip()
        assert row["answer"] == answer.strip()  # the page is read back stripped
        assert row["score"] == f"edit distance {result['metrics']['edit_dist']:.3f}"
    assert results[0]["metrics"]["edit_dist"] == 0 < results[7]["metrics"]["edit_dist"]


def test_affordance_gallery_draws_the_answer_box(tmp_path, monkeypatch):
    data_path, cfg, args = affordance_setup(tmp_path, QWEN2_TIED, 9, "--visualize", "8")
    boxes = [[100 + 20 * i, 200, 600, 700 - 10 * i] for i in range(9)]
    answers = [
        "<think>a.</think> <rethink>b.</rethink> <answer>"
        + json.dumps([{"bbox_2d": b, "point_2d": [300, 400], "affordance": "grasp"}])
        + "</answer>"
        for b in boxes
    ]
    monkeypatch.setattr(runner, "generate_texts", in_order(answers))
    run_affordance(cfg, args)
    stem = "affordance_results_reasonaff_test_qwen2_vl_tied_r1_100"
    results = json.loads((tmp_path / "logs" / f"{stem}.json").read_text())["results"]
    index = tmp_path / "logs" / "gallery" / stem / "index.html"
    page = open_gallery(index)
    assert page.entries == 8 and len(page.images) == 8
    for row, src, box, result in zip(page.rows, page.images, boxes, results):
        assert row["question"] == result["question"] and row["score"].startswith("mask IoU ")
        # the 112 px images: the 0-1000 answer box lands at box * 112 / 1000, as the results file says
        expected = norm1000_to_pixels(box, (112, 112))
        assert result["bboxes"] == [[pytest.approx(v, abs=0.5) for v in expected]]
        assert box_drawn_at(index.parent / src, result["bboxes"][0], 112)


def test_select_orders_by_the_per_sample_score():
    results = [{"model_output": "x", "ground_truth": [0, 0, 1, 1], "iou": v} for v in (0.5, 0.1, 0.9, 0.1)]
    entries = [Entry(str(i), r) for i, r in enumerate(results)]
    assert [e.image for e in select(entries, "rec", 3, "worst")] == ["1", "3", "0"]
    assert [e.image for e in select(entries, "rec", 2, "best")] == ["2", "0"]
    assert [e.image for e in select(entries, "rec", 2)] == ["0", "1"]
    ocr = [Entry(str(i), {"model_output": o, "ground_truth": "abc"}) for i, o in enumerate(["abc", "xyz"])]
    assert [e.image for e in select(ocr, "ocr", 1, "worst")] == ["1"]  # edit distance: higher is worse
    assert sorted(e.image for e in select(entries, "rec", 4, "random")) == ["0", "1", "2", "3"]
    with pytest.raises(ValueError, match="visualize_select"):
        select(entries, "rec", 1, "median")
