"""Synthetic OCR lines and affordance scenes (synthetic/ocr.py, synthetic/affordance.py) and their files."""

from __future__ import annotations

import ast
import json
import os
import random

import numpy as np

from paddlemix.datasets.hf_dir import read_hf_dir
from paddlemix.datasets.synthetic.__main__ import main
from paddlemix.datasets.synthetic.affordance import AFF_SIZE, draw_affordance_scene, write_affordance_layout
from paddlemix.datasets.synthetic.ocr import OCR_PROMPT, cjk_font, draw_ocr_line, write_ocr_layout
from paddlemix.metrics.affordance import accuracy_score, solution_items


def test_ocr_line_is_deterministic_and_ink_is_drawn():
    a_img, a_text = draw_ocr_line(random.Random("x"))
    b_img, b_text = draw_ocr_line(random.Random("x"))
    assert a_text == b_text and a_text.strip() == a_text and a_text
    assert np.array_equal(np.asarray(a_img), np.asarray(b_img))
    pixels = np.asarray(a_img.convert("L"))
    assert pixels.min() < 100 < pixels.max()  # dark text on a light background
    assert min(a_img.size) >= 28


def test_ocr_layout(tmp_path):
    root = write_ocr_layout(str(tmp_path), n=5, n_eval=2, seed=0)
    with open(os.path.join(root, "ocr_train.json"), encoding="utf-8") as f:
        records = json.load(f)
    assert len(records) == 5
    first = records[0]
    assert first["conversations"][0]["value"] == OCR_PROMPT and first["conversations"][1]["value"]
    assert os.path.isfile(os.path.join(root, first["image"]))
    with open(os.path.join(root, "ocr_train.jsonl"), encoding="utf-8") as f:
        plain = [json.loads(line) for line in f]
    assert [(r["image"], r["text"]) for r in plain] == [
        (r["image"], r["conversations"][1]["value"]) for r in records
    ]
    evals = sorted(os.listdir(os.path.join(root, "eval")))
    assert evals == (["cn_page_ocr.json", "en_page_ocr.json"] if cjk_font() else ["en_page_ocr.json"])


def test_affordance_answer_is_exact():
    for i in range(20):
        scene = draw_affordance_scene(random.Random(i), size=112)
        assert scene.objects and all(o["affordance"] == scene.aff_name for o in scene.objects)
        for obj in scene.objects:
            x1, y1, x2, y2 = obj["bbox_2d"]
            x, y = obj["point_2d"]
            assert x1 <= x <= x2 and y1 <= y <= y2 and scene.mask[y, x]  # the point is on the part
            part = scene.mask[y1 : y2 + 1, x1 : x2 + 1]
            assert part.any(axis=0).all() and part.any(axis=1).all()  # the box is tight
        # the ground truth answers itself perfectly
        assert accuracy_score(scene.objects, scene.objects) == 3.0


def test_affordance_layout(tmp_path):
    root = write_affordance_layout(str(tmp_path), n=4, n_eval=2, seed=0, size=112)
    train = read_hf_dir(os.path.join(root, "reasonaff_train"))
    assert (
        set(train.column_names) == {"image", "problem", "solution", "aff_name", "part_name"}
        and len(train) == 4
    )
    items = solution_items(train.column("solution")[0])
    assert items and all(0 <= v <= AFF_SIZE for item in items for v in item["bbox_2d"] + item["point_2d"])
    test = read_hf_dir(os.path.join(root, "reasonaff_test"), split="test")
    assert {"id", "image", "mask", "img_height", "img_width", "mask_h", "mask_w", "bboxes", "problem"} <= set(
        test.column_names
    )
    boxes = ast.literal_eval(test.column("bboxes")[0])
    assert isinstance(boxes[0][0], tuple) and len(boxes[0]) == 2  # the seed's [[(x1, y1), (x2, y2)], ...]


def test_cli_writes_both_tasks(tmp_path, capsys):
    main(["--task", "ocr", "--out", str(tmp_path), "--n", "2", "--n-eval", "1"])
    main(["--task", "affordance", "--out", str(tmp_path), "--n", "2", "--n-eval", "1", "--tar"])
    assert os.path.isfile(tmp_path / "OCR" / "ocr_train.json")
    assert os.path.isfile(tmp_path / "Affordance.tar")
    out = capsys.readouterr().out
    assert "wrote ocr" in out and "wrote affordance" in out
