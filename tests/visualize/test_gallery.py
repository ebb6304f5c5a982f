"""Eval galleries (`--visualize N`, `paddlemix/visualize/gallery.py`) of test_rec, test_r1-v, the
localization evals and `--rescore`: the HTML is opened and its entries and pictures checked."""

from __future__ import annotations

import os
from html.parser import HTMLParser

import numpy as np
import pytest
from PIL import Image

from paddlemix.datasets.localization import load_coco_detection
from paddlemix.datasets.synthetic import write_counting_layout
from paddlemix.datasets.synthetic.localization import write_detection_layout
from paddlemix.evaluation import runner
from paddlemix.evaluation.r1v import run_r1v
from paddlemix.evaluation.rec import run_rec
from paddlemix.evaluation.rescore import main as rescore_main
from paddlemix.evaluation.runner import EvalConfig
from paddlemix.visualize.draw import PRED_COLOR, TRUTH_COLOR
from paddlemix.visualize.gallery import Entry, select
from tests.evaluation.test_eval_commands import QWEN2, box_answerer, rec_config, write_rec_file
from tests.evaluation.test_localization_eval import QWEN2_5, coco_paths, detection_answer, run, truth_answerer


class Page(HTMLParser):
    """The entries of a gallery page: each entry's image source and texts."""

    def __init__(self):
        super().__init__()
        self.entries, self.images = 0, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div" and attrs.get("class") == "entry":
            self.entries += 1
        if tag == "img":
            self.images.append(attrs["src"])


def open_gallery(path) -> Page:
    """Parse index.html; every picture it shows must exist beside it."""
    page = Page()
    with open(path, encoding="utf-8") as f:
        page.feed(f.read())
    folder = os.path.dirname(path)
    for src in page.images:
        assert os.path.isfile(os.path.join(folder, src)), src
        Image.open(os.path.join(folder, src)).verify()
    return page


def colours(path) -> tuple[bool, bool]:
    """Whether a picture shows the prediction colour and the ground-truth colour."""
    arr = np.asarray(Image.open(path).convert("RGB")).reshape(-1, 3)
    return bool((arr == PRED_COLOR).all(1).any()), bool((arr == TRUTH_COLOR).all(1).any())


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
