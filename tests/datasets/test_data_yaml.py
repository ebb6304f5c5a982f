"""The data yaml and its sampling strategies: all, first:N, end:N, random:N, with N a count or P%."""

import json
import os
import random

import pytest

from paddlemix.datasets.data_yaml import (
    apply_sampling,
    load_data_yaml,
    parse_sampling_strategy,
    read_data_yaml,
)

RECORDS = list(range(10))


@pytest.mark.parametrize(
    "strategy, expected",
    [
        ("all", RECORDS),
        ("first:3", [0, 1, 2]),
        ("end:3", [7, 8, 9]),
        ("first:25%", [0, 1, 2]),  # ceil(25 * 10 / 100) = 3, as the seed rounds
        ("end:10%", [9]),
        ("first:0", []),
        ("end:0", []),  # the seed's records[-0:] would keep all ten
        ("first:50", RECORDS),  # more than there are: all of them
        ("end:100%", RECORDS),
    ],
)
def test_deterministic_strategies(strategy, expected):
    assert apply_sampling(RECORDS, strategy, random.Random(0)) == expected


def test_random_is_seeded_and_matches_the_seeds_global_shuffle():
    picked = apply_sampling(RECORDS, "random:4", random.Random(7))
    assert picked == apply_sampling(RECORDS, "random:4", random.Random(7))
    assert len(set(picked)) == 4 and set(picked) <= set(RECORDS)
    # VLM-R1: random.seed(seed); random.shuffle(records); records[:N]
    state = random.getstate()
    random.seed(7)
    reference = list(RECORDS)
    random.shuffle(reference)
    random.setstate(state)
    assert picked == reference[:4]
    assert len(apply_sampling(RECORDS, "random:30%", random.Random(0))) == 3
    assert RECORDS == list(range(10))  # the input is not shuffled in place


@pytest.mark.parametrize("bad", ["first", "random:", "firts:3", "all:3", "end:-1", "first:x", "random:150%"])
def test_bad_strategies_are_errors(bad):
    with pytest.raises(ValueError, match="sampling_strategy"):
        parse_sampling_strategy(bad)


def _write_yaml(path, entries):
    lines = ["datasets:"]
    for entry in entries:
        lines.append(f"  - json_path: {entry[0]}")
        if len(entry) > 1:
            lines.append(f"    sampling_strategy: {entry[1]}")
    path.write_text("\n".join(lines) + "\n")


def test_the_synthetic_rec_yaml_loads_all_training_files(synthetic_root, monkeypatch):
    monkeypatch.chdir(synthetic_root)  # the seed resolves json_path from the working directory
    ds = load_data_yaml("rec.yaml", image_root="REC")
    assert len(ds) == 12 and ds.skipped.count == 0
    assert {os.path.basename(s["source"]) for s in ds} == {
        "refcoco_train.json",
        "refcocop_train.json",
        "refcocog_train.json",
    }


def test_yaml_strategies_and_seed(synthetic_root, tmp_path):
    ann = os.path.join(synthetic_root, "REC", "rec_jsons_processed")
    yaml_path = tmp_path / "mix.yaml"
    _write_yaml(
        yaml_path,
        [
            (os.path.join(ann, "refcoco_train.json"), "first:1"),
            (os.path.join(ann, "refcocog_train.json"), "random:50%"),
        ],
    )
    a = load_data_yaml(str(yaml_path), os.path.join(synthetic_root, "REC"), seed=3)
    b = load_data_yaml(str(yaml_path), os.path.join(synthetic_root, "REC"), seed=3)
    assert len(a) == 1 + 2
    assert [s["image"] for s in a] == [s["image"] for s in b]
    with open(os.path.join(ann, "refcoco_train.json")) as f:
        assert a[0]["problem"] == json.load(f)[0]["problem"]


def test_relative_json_path_falls_back_to_the_yamls_folder(synthetic_root, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ds = load_data_yaml(
        os.path.join(synthetic_root, "rec.yaml"), image_root=os.path.join(synthetic_root, "REC")
    )
    assert len(ds) == 12


def test_missing_images_in_a_yaml_are_skipped_not_resampled(fresh_root):
    rec = os.path.join(fresh_root, "REC")
    for name in os.listdir(os.path.join(rec, "train2014")):
        if name.startswith("synthetic_refcocop_train"):
            os.remove(os.path.join(rec, "train2014", name))
    ds = load_data_yaml(os.path.join(fresh_root, "rec.yaml"), image_root=rec)
    assert len(ds) == 4 and ds.skipped.count == 2


def test_yaml_errors(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("datasets:\n  - json_path: a.json\n    sampling: first:3\n")
    with pytest.raises(ValueError, match="unknown key"):
        read_data_yaml(str(path))
    path.write_text("datasets: []\n")
    with pytest.raises(ValueError, match="non-empty"):
        read_data_yaml(str(path))
    _write_yaml(path, [("nowhere.json",)])
    with pytest.raises(FileNotFoundError, match="nowhere.json"):
        load_data_yaml(str(path), str(tmp_path))
