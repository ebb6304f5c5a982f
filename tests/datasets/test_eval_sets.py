"""Eval sets: R1-V's real SuperCLEVR-200 and GeoQA prompt files (no images here), synthetic ones, and REC."""

import json
import os
import random
import shutil

import pytest

from paddlemix.datasets.eval_sets import load_eval_jsonl, load_r1v_eval, load_rec_eval
from paddlemix.datasets.rec import read_records

# Real copies of R1-V's src/eval/prompts/*.jsonl (from shared/data/eval_prompts).
EVAL_PROMPTS = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "eval_prompts"
)


def test_real_superclevr_file_without_images(tmp_path):
    path = os.path.join(EVAL_PROMPTS, "superclevr_test200_counting_problems.jsonl")
    ds = load_eval_jsonl(path, str(tmp_path), check="none")
    assert len(ds) == 200 and ds.skipped.count == 0
    s = ds[0]
    assert s["task"] == "counting" and s["problem"] == "How many different items are there in the image?"
    assert s["solution"] == 4 and s["record"]["image_path"] == "./images/superCLEVR_new_025000.png"
    assert s["image"] == os.path.join(str(tmp_path), "images", "superCLEVR_new_025000.png")  # "./" dropped


def test_real_geoqa_file_and_missing_images_are_skipped(tmp_path):
    path = os.path.join(EVAL_PROMPTS, "geoqa_test_prompts.jsonl")
    assert len(load_eval_jsonl(path, str(tmp_path), check="none")) == 754
    ds = load_eval_jsonl(path, str(tmp_path))  # "exists": none of the images are here
    assert len(ds) == 0 and ds.skipped.count == 754
    first = load_eval_jsonl(path, str(tmp_path), check="none")[0]
    assert first["task"] == "geometry" and first["solution"] == "140°"


def test_synthetic_eval_layouts(synthetic_root):
    counting = load_r1v_eval(
        os.path.join(synthetic_root, "Counting"),
        "superclevr_test200_counting_problems",
        os.path.join(synthetic_root, "Counting", "superclevr_200"),
    )
    geo = load_r1v_eval(
        os.path.join(synthetic_root, "GEO"), "geoqa_test_prompts", os.path.join(synthetic_root, "GEO")
    )
    assert len(counting) == 3 and len(geo) == 3 and not counting.skipped.count and not geo.skipped.count
    assert isinstance(counting[0]["solution"], int) and geo[0]["task"] == "geometry"


def test_task_inference_needs_consistent_answers(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        json.dumps({"image_path": "a.png", "question": "q", "ground_truth": 1})
        + "\n"
        + json.dumps({"image_path": "b.png", "question": "q", "ground_truth": "1"})
        + "\n"
    )
    with pytest.raises(ValueError, match="pass task="):
        load_eval_jsonl(str(path), str(tmp_path), check="none")
    assert load_eval_jsonl(str(path), str(tmp_path), task="geometry", check="none")[1]["task"] == "geometry"
    path.write_text(json.dumps({"image_path": "a.png", "question": "q"}) + "\n")
    with pytest.raises(ValueError, match="lacks \\['ground_truth'\\]"):
        load_eval_jsonl(str(path), str(tmp_path), check="none")


def test_rec_eval_shuffles_like_the_seed(synthetic_root, tmp_path):
    data_root = tmp_path / "rec_jsons_processed"
    shutil.copytree(os.path.join(synthetic_root, "REC", "rec_jsons_processed"), data_root)
    records = read_records(str(data_root / "refcocog_train.json"))
    ds = load_rec_eval(
        str(data_root), "refcocog_train", os.path.join(synthetic_root, "REC"), sample_num=3, seed=42
    )
    # The seed: random.seed(42); random.shuffle(data); data[:sample_num]
    expected = list(records)
    random.Random(42).shuffle(expected)
    assert [s["record"] for s in ds] == expected[:3]
    assert ds[0]["task"] == "rec" and "normal_caption" in ds[0]


def test_rec_eval_shared_rng_reproduces_successive_datasets(synthetic_root):
    data_root = os.path.join(synthetic_root, "REC", "rec_jsons_processed")
    image_root = os.path.join(synthetic_root, "REC")
    rng = random.Random(42)
    first = load_rec_eval(data_root, "refcoco_val", image_root, rng=rng)
    second = load_rec_eval(data_root, "refcocop_val", image_root, rng=rng)
    # The seed seeds once, then shuffles each dataset in turn with the same global generator.
    reference = random.Random(42)
    a, b = (
        read_records(os.path.join(data_root, "refcoco_val.json")),
        read_records(os.path.join(data_root, "refcocop_val.json")),
    )
    reference.shuffle(a)
    reference.shuffle(b)
    assert [s["record"] for s in first] == a and [s["record"] for s in second] == b


def test_refgta_eval_images_resolve_under_refgta(synthetic_root):
    ds = load_rec_eval(
        os.path.join(synthetic_root, "REC", "rec_jsons_processed"),
        "refgta_subsample",
        os.path.join(synthetic_root, "REC", "refgta"),
    )
    assert len(ds) == 3 and ds.skipped.count == 0
