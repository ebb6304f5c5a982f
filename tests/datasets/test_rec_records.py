"""REC annotation loading on synthetic data in the seed's layout, both record formats, and bad images."""

import json
import logging
import os

import pytest

from paddlemix.datasets.rec import caption_from_problem, load_rec, parse_box, read_records, rec_sample


def test_loads_the_seed_layout(synthetic_root):
    rec = os.path.join(synthetic_root, "REC")
    ds = load_rec(os.path.join(rec, "rec_jsons_processed", "refcoco_train.json"), image_root=rec)
    assert len(ds) == 4 and ds.skipped.count == 0
    s = ds[0]
    assert set(s) >= {
        "image",
        "problem",
        "solution",
        "task",
        "source",
        "normal_caption",
        "normalized_solution",
    }
    assert os.path.isabs(s["image"]) and os.path.isfile(s["image"])
    assert s["task"] == "rec" and len(s["solution"]) == 4 and all(isinstance(v, float) for v in s["solution"])
    assert s["problem"] == (
        f"Please provide the bounding box coordinate of the region this sentence describes: {s['normal_caption']}."
    )


def test_solution_is_in_original_pixels(synthetic_root):
    from PIL import Image

    rec = os.path.join(synthetic_root, "REC")
    for s in load_rec(os.path.join(rec, "rec_jsons_processed", "refcocog_train.json"), rec):
        width, height = Image.open(s["image"]).size
        x1, y1, x2, y2 = s["solution"]
        assert 0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height


def test_jsonl_and_vlm_r1_conversations_format(tmp_path):
    records = [
        {
            "id": 1,
            "image": "a.png",
            "conversations": [
                {
                    "from": "human",
                    "value": "<image>Please provide the bounding box coordinate of the region this sentence describes: the cat.",
                },
                {"from": "gpt", "value": "[1, 2, 30, 40.5]"},
            ],
        }
    ]
    path = tmp_path / "x.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    ds = load_rec(str(path), str(tmp_path), check="none")
    assert ds[0]["solution"] == [1.0, 2.0, 30.0, 40.5]
    assert ds[0]["normal_caption"] == "the cat"  # derived like PaddleMIX's preprocess_refcoco.py
    assert ds[0]["image"] == str(tmp_path / "a.png")


def test_missing_image_is_skipped_counted_and_named(fresh_root, caplog):
    rec = os.path.join(fresh_root, "REC")
    ann = os.path.join(rec, "rec_jsons_processed", "refcoco_train.json")
    victim = os.path.join(rec, read_records(ann)[1]["image"])
    os.remove(victim)
    with caplog.at_level(logging.WARNING, logger="paddlemix.datasets"):
        ds = load_rec(ann, rec)
    assert len(ds) == 1 and ds.skipped.count == 1
    assert victim in caplog.text


def test_corrupt_image_survives_loading_and_is_dropped_by_validation(fresh_root):
    rec = os.path.join(fresh_root, "REC")
    ann = os.path.join(rec, "rec_jsons_processed", "refcoco_train.json")
    victim = os.path.join(rec, read_records(ann)[0]["image"])
    with open(victim, "wb") as f:
        f.write(b"\xff\xd8\xff garbage")
    ds = load_rec(ann, rec)  # "exists" does not decode
    assert len(ds) == 2
    clean = ds.drop_bad_images()
    assert len(clean) == 1 and clean.skipped.items[0][0] == victim


def test_parse_box_and_caption():
    assert parse_box("[1, 2.5, 3, 4]") == [1.0, 2.5, 3.0, 4.0]
    assert parse_box([1, 2, 3, 4]) == [1.0, 2.0, 3.0, 4.0]
    with pytest.raises(ValueError, match="x1, y1, x2, y2"):
        parse_box([1, 2, 3])
    assert caption_from_problem("Please ... describes: the man in red.") == "the man in red"
    assert caption_from_problem("no colon") is None


def test_malformed_record_names_file_and_index(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps([{"image": "a.png", "problem": "p", "solution": [1, 2, 3, 4]}, {"image": "b.png"}])
    )
    with pytest.raises(ValueError, match=r"bad.json\[1\]: not a REC record: missing the field .problem."):
        load_rec(str(path), str(tmp_path), check="none")
    with pytest.raises(ValueError, match="want .json or .jsonl"):
        read_records(str(tmp_path / "x.csv"))


def test_keeps_the_records_normal_caption_over_the_derived_one():
    s = rec_sample(
        {"image": "i.png", "problem": "x: y.", "solution": [0, 0, 1, 1], "normal_caption": "z"}, "/r"
    )
    assert s["normal_caption"] == "z" and "normalized_solution" not in s
