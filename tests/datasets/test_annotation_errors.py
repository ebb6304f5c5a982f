"""A malformed annotation file stops the load with file:line (jsonl) or file[index] (json list)."""

from __future__ import annotations

import glob
import json
import os

import pytest

from paddlemix.datasets.data_yaml import load_data_yaml
from paddlemix.datasets.eval_sets import load_eval_jsonl
from paddlemix.datasets.hf_dir import read_hf_dir
from paddlemix.datasets.rec import load_rec
from paddlemix.datasets.synthetic import write_counting_layout
from paddlemix.errors import DataError

GOOD = {"image": "a.png", "problem": "find: the cat.", "solution": [1, 2, 3, 4]}


@pytest.mark.parametrize(
    "name, text, where, what",
    [
        # a line cut short (truncated download) in a jsonl
        ("a.jsonl", json.dumps(GOOD) + "\n\n" + '{"image": "b.png", "prob', "a.jsonl:3", "not JSON"),
        # a jsonl line that is JSON but not a record
        ("a.jsonl", json.dumps(GOOD) + "\n[1, 2]\n", "a.jsonl:2", "not a REC record"),
        # a record missing its solution
        ("a.json", json.dumps([GOOD, {"image": "b.png", "problem": "p"}]), "a.json[1]", "'solution'"),
        # a box that is not four numbers
        ("a.json", json.dumps([{**GOOD, "solution": [1, 2]}]), "a.json[0]", "x1, y1, x2, y2"),
        # a .json that is an object, not a list
        ("a.json", json.dumps({"data": [GOOD]}), "a.json", "expected a JSON list"),
        # a .json cut short
        ("a.json", json.dumps([GOOD, GOOD])[:-20], "a.json:1:", "not valid JSON"),
    ],
)
def test_malformed_rec_file_names_the_place(tmp_path, name, text, where, what):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(DataError, match=what) as info:
        load_rec(str(path), str(tmp_path), check="none")
    assert info.value.where.startswith(str(tmp_path / where))


def test_data_yaml_names_the_line_of_the_sampled_record(tmp_path):
    ann = tmp_path / "a.jsonl"
    ann.write_text("\n".join([json.dumps(GOOD)] * 3 + [json.dumps({"image": "x.png"})]) + "\n")
    data_yaml = tmp_path / "rec.yaml"
    data_yaml.write_text(f"datasets:\n  - json_path: {ann}\n    sampling_strategy: end:1\n")
    with pytest.raises(DataError) as info:
        load_data_yaml(str(data_yaml), str(tmp_path), check="none")
    assert info.value.where == f"{ann}:4"


def test_bad_data_yaml_names_the_entry(tmp_path):
    data_yaml = tmp_path / "rec.yaml"
    data_yaml.write_text("datasets:\n  - json_path: a.json\n    sampling_strategy: sometimes\n")
    with pytest.raises(DataError, match="sometimes") as info:
        load_data_yaml(str(data_yaml), str(tmp_path))
    assert info.value.where == f"{data_yaml}: datasets[0]"


def test_eval_jsonl_names_the_line(tmp_path):
    path = tmp_path / "e.jsonl"
    line = {"image_path": "./a.png", "question": "q", "ground_truth": 3}
    path.write_text(json.dumps(line) + "\n" + json.dumps({"image_path": "./b.png", "question": "q"}) + "\n")
    with pytest.raises(DataError, match="ground_truth") as info:
        load_eval_jsonl(str(path), str(tmp_path))
    assert info.value.where == f"{path}:2"


def test_truncated_parquet_names_the_file(tmp_path):
    root = write_counting_layout(str(tmp_path), n=2, n_eval=1, seed=0)
    (parquet,) = glob.glob(os.path.join(root, "clevr_cogen_a_train", "**", "*.parquet"), recursive=True)
    with open(parquet, "r+b") as f:
        f.truncate(os.path.getsize(parquet) // 2)
    with pytest.raises(DataError, match="not a readable Parquet file") as info:
        read_hf_dir(os.path.join(root, "clevr_cogen_a_train"))
    assert info.value.where == parquet
