"""Synthetic detection, OVD and grounding sets (datasets/synthetic/localization.py): layouts and known answers."""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import subprocess
import sys

import numpy as np
import pytest
from pycocotools.coco import COCO

from paddlemix.datasets.hf_dir import read_hf_dir
from paddlemix.datasets.synthetic.detection import draw_detection_scene
from paddlemix.datasets.synthetic.localization import (
    write_detection_layout,
    write_grounding_layout,
    write_ovd_layout,
)
from paddlemix.rewards import get_reward


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> str:
    """A data/ folder with Detection/, OVD/ and Grounding/: 16 training and 4 eval samples each."""
    out = str(tmp_path_factory.mktemp("data"))
    for writer in (write_detection_layout, write_ovd_layout, write_grounding_layout):
        writer(out, n=16, n_eval=4, seed=0)
    return out


def test_boxes_are_tight_around_the_drawn_shapes():
    for i in range(20):
        img, objects = draw_detection_scene(random.Random(i))
        pixels = np.asarray(img).astype(int)
        background = pixels[0, 0]
        for o in objects:
            x1, y1, x2, y2 = o.box
            inside = np.any(pixels[y1:y2, x1:x2] != background, axis=-1)
            ys, xs = np.nonzero(inside)
            # the painted pixels inside the box reach each of its four edges: the box is tight
            assert (x1 + xs.min(), y1 + ys.min(), x1 + xs.max() + 1, y1 + ys.max() + 1) == (x1, y1, x2, y2)


@pytest.mark.parametrize(
    "path",
    [
        "Detection/coco/annotations/instances_val2017.json",
        "Detection/odinw/ShapesDemo/valid/annotations_without_background.json",
        "OVD/annotations/instances_ovd_val.json",
    ],
)
def test_coco_files_load_in_pycocotools(root, path):
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(os.path.join(root, path))
    image_dir = os.path.dirname(os.path.join(root, path))
    image_dir = {
        "Detection/coco/annotations/instances_val2017.json": os.path.join(root, "Detection/coco/val2017"),
        "OVD/annotations/instances_ovd_val.json": os.path.join(root, "OVD"),
    }.get(path, image_dir)
    assert len(coco.getImgIds()) == 4
    for image in coco.loadImgs(coco.getImgIds()):
        assert os.path.exists(os.path.join(image_dir, image["file_name"]))
    for ann in coco.loadAnns(coco.getAnnIds()):
        x, y, w, h = ann["bbox"]
        image = coco.loadImgs(ann["image_id"])[0]
        assert w > 0 and h > 0 and x + w <= image["width"] and y + h <= image["height"]


def test_vision_r1_rows_score_full_marks_with_their_own_answer(root):
    table = read_hf_dir(os.path.join(root, "Detection", "Vision-R1-Data"))
    assert set(table.column_names) >= {
        "image",
        "problem",
        "solution",
        "width",
        "height",
        "num_instances",
        "target_id_maps",
    }
    for i in range(table.num_rows):
        row = {k: table._text[k][i] for k in table._text}
        items = [
            {"bbox_2d": box, "label": name} for name, boxes in json.loads(row["solution"]) for box in boxes
        ]
        completion = "```json\n" + json.dumps(items) + "\n```"
        fields = {k: [row[k]] for k in ("solution", "width", "height", "num_instances", "target_id_maps")}
        fields.update(coord_frame=["original"])
        assert row["num_instances"] == len(items)
        for name in ("vision_r1_precision", "vision_r1_recall", "vision_r1_dual_format"):
            assert get_reward(name)([completion], **fields) == [1.0]


def test_ovd_records_are_vlm_r1_jsonl_with_negatives_and_two_image_samples(root):
    with open(os.path.join(root, "OVD", "ovd_train.jsonl"), encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    assert len(records) == 16
    assert any(isinstance(r["image"], list) and len(r["image"]) == 2 for r in records)
    assert any(r["conversations"][1]["value"] == "None" for r in records)
    for r in records:
        images = r["image"] if isinstance(r["image"], list) else [r["image"]]
        assert r["conversations"][0]["value"].count("<image>") == len(images)
        assert all(os.path.exists(os.path.join(root, "OVD", p)) for p in images)
        solution = f"<answer> {r['conversations'][1]['value']} </answer>"
        completion = f"<think>t</think><answer>{r['conversations'][1]['value']}</answer>"
        value = get_reward("od_length")([completion], solution=[solution], coord_frame=["original"])[0]
        assert value == pytest.approx(1.0)


def test_grounding_sets_agree_between_pixels_and_the_0_1000_frame(root):
    for split in ("refcoco_val", "refcoco_testA"):
        with open(os.path.join(root, "Grounding", "annotations", f"{split}.json"), encoding="utf-8") as f:
            records = json.load(f)
        for r in records:
            x1, y1, x2, y2 = r["normalized_solution"]
            completion = f"<|box_start|>({x1},{y1}),({x2},{y2})<|box_end|>"
            from PIL import Image

            with Image.open(os.path.join(root, "Grounding", "images", r["image"])) as img:
                size = list(img.size)
            value = get_reward("iou_squared")(
                [completion], solution=[r["solution"]], model_type=["qwen2_vl"], image_size=[size]
            )[0]
            assert value > 0.9  # rounding to 0-1000 moves a box edge by under a pixel
    table = read_hf_dir(os.path.join(root, "Grounding", "refcoco_320k"))
    assert all(len(json.loads(s)) == 4 and max(json.loads(s)) <= 1000 for s in table._text["solution"])


def test_counting_jsonl_has_pr1_fields(root):
    with open(os.path.join(root, "Grounding", "counting", "pixmo_count_val540.jsonl"), encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    assert len(records) == 4
    for r in records:
        assert set(r) == {"image_path", "question", "ground_truth"} and isinstance(r["ground_truth"], int)
        assert os.path.exists(os.path.join(root, "Grounding", "counting", r["image_path"]))


def test_command_line_writes_a_task(tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "paddlemix.datasets.synthetic",
            "--task",
            "ovd",
            "--out",
            str(tmp_path),
            "--n",
            "4",
            "--n-eval",
            "2",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "wrote ovd" in out.stdout and (tmp_path / "OVD" / "ovd_val.jsonl").exists()


def test_output_is_deterministic(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    write_ovd_layout(str(a), n=4, n_eval=2, seed=3)
    write_ovd_layout(str(b), n=4, n_eval=2, seed=3)
    assert (a / "OVD" / "ovd_train.jsonl").read_text() == (b / "OVD" / "ovd_train.jsonl").read_text()
