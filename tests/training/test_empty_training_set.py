"""A training set with nothing left stops before the model loads, with the count of each reason and the file."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from paddlemix.errors import DataError
from paddlemix.training.config import DataConfig
from paddlemix.training.data import load_train_dataset

RECORD = {"problem": "find: the cat.", "solution": [1, 2, 3, 4]}


def test_all_images_bad_names_each_file_and_reason(tmp_path):
    a = tmp_path / "a.json"
    a.write_text(json.dumps([{**RECORD, "image": f"gone/{i}.png"} for i in range(3)]))
    b = tmp_path / "b.jsonl"
    b.write_text(json.dumps({**RECORD, "image": "gone/x.png"}) + "\n")
    data_yaml = tmp_path / "rec.yaml"
    data_yaml.write_text(f"datasets:\n  - json_path: {a}\n  - json_path: {b}\n")
    cfg = DataConfig(dataset_name=str(data_yaml), image_root=str(tmp_path))
    with pytest.raises(DataError) as info:
        load_train_dataset(cfg, seed=0)
    message = str(info.value)
    assert info.value.where == str(data_yaml)
    assert "all 4 sample(s) were skipped" in message
    assert f"{a}: 3 missing" in message and f"{b}: 1 missing" in message
    assert "gone/0.png" in message and "--image_root" in message


def test_a_set_with_one_good_image_loads(tmp_path):
    Image.new("RGB", (8, 8)).save(tmp_path / "ok.png")
    ann = tmp_path / "a.json"
    ann.write_text(json.dumps([{**RECORD, "image": "ok.png"}, {**RECORD, "image": "gone.png"}]))
    dataset = load_train_dataset(DataConfig(dataset_name=str(ann), image_root=str(tmp_path)), seed=0)
    assert len(dataset) == 1 and dataset.skipped.count == 1


def test_no_records_says_so(tmp_path):
    ann = tmp_path / "a.json"
    ann.write_text("[]")
    with pytest.raises(DataError, match="hold no records"):
        load_train_dataset(DataConfig(dataset_name=str(ann), image_root=str(tmp_path)), seed=0)
