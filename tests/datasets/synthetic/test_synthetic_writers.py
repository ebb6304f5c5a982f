"""The writers: the seed's folder layout and formats, byte-identical output per seed, tarballs, and the CLI."""

import filecmp
import json
import os
import tarfile

from paddlemix.datasets.hf_dir import read_hf_dir
from paddlemix.datasets.synthetic.__main__ import main
from paddlemix.datasets.synthetic.writers import write_counting_layout, write_rec_layout, write_tarball


def test_rec_layout_records(synthetic_root):
    ann = os.path.join(synthetic_root, "REC", "rec_jsons_processed")
    assert sorted(os.listdir(ann)) == sorted(
        [
            "refcoco_train.json",
            "refcocop_train.json",
            "refcocog_train.json",
            "refcoco_val.json",
            "refcocop_val.json",
            "refcocog_val.json",
            "refgta_subsample.json",
        ]
    )
    with open(os.path.join(ann, "refcoco_train.json")) as f:
        record = json.load(f)[0]
    assert set(record) == {"image", "problem", "normal_caption", "solution", "normalized_solution"}
    assert record["image"].startswith("train2014/") and os.path.isfile(
        os.path.join(synthetic_root, "REC", record["image"])
    )
    with open(os.path.join(ann, "refgta_subsample.json")) as f:
        assert os.path.isfile(os.path.join(synthetic_root, "REC", "refgta", json.load(f)[0]["image"]))
    with open(os.path.join(synthetic_root, "rec.yaml")) as f:
        assert f.read().startswith("datasets:\n  - json_path: REC/rec_jsons_processed/refcoco_train.json\n")


def test_counting_and_geometry_layouts(synthetic_root):
    table = read_hf_dir(os.path.join(synthetic_root, "Counting", "clevr_cogen_a_train"))
    assert table.column_names == ["image", "problem", "solution"] and len(table) == 12
    with open(os.path.join(synthetic_root, "Counting", "superclevr_test200_counting_problems.jsonl")) as f:
        record = json.loads(f.readline())
    assert set(record) == {"image_path", "question", "ground_truth"} and record["image_path"].startswith(
        "./images/"
    )
    with open(os.path.join(synthetic_root, "GEO", "geoqa_test_prompts.jsonl")) as f:
        line = f.readline()
    assert json.loads(line)["image_path"] == "./Geo170K/images/test/0.png"
    assert os.path.isfile(os.path.join(synthetic_root, "GEO", "Geo170K", "images", "test", "0.png"))


def test_same_seed_same_bytes(tmp_path):
    for run in ("a", "b"):
        write_counting_layout(str(tmp_path / run), n=3, n_eval=1, seed=5)
        write_tarball(str(tmp_path / run / "Counting"), str(tmp_path / f"{run}.tar"))
    assert filecmp.cmp(tmp_path / "a.tar", tmp_path / "b.tar", shallow=False)


def test_first_samples_do_not_depend_on_n(tmp_path):
    write_rec_layout(str(tmp_path / "small"), n=3, n_eval=1, seed=0)
    write_rec_layout(str(tmp_path / "big"), n=9, n_eval=1, seed=0)
    with open(tmp_path / "small" / "REC" / "rec_jsons_processed" / "refcoco_train.json") as f:
        small = json.load(f)
    with open(tmp_path / "big" / "REC" / "rec_jsons_processed" / "refcoco_train.json") as f:
        big = json.load(f)
    assert big[: len(small)] == small


def test_tarball_members_start_with_the_task_folder(tmp_path):
    root = write_counting_layout(str(tmp_path), n=2, n_eval=1, seed=0)
    with tarfile.open(write_tarball(root, str(tmp_path / "Counting.tar"))) as tar:
        names = tar.getnames()
    assert names and all(n.startswith("Counting/") for n in names)
    assert "Counting/clevr_cogen_a_train/data/train-00000-of-00001.parquet" in names


def test_cli(tmp_path, capsys):
    main(
        [
            "--task",
            "geometry",
            "--out",
            str(tmp_path),
            "--n",
            "4",
            "--seed",
            "0",
            "--tar",
            "--hf-layout",
            "save_to_disk",
        ]
    )
    assert os.path.isfile(tmp_path / "GEO.tar")
    assert os.path.isfile(tmp_path / "GEO" / "GEOQA_R1V_Train_8K" / "dataset_dict.json")
    assert len(read_hf_dir(str(tmp_path / "GEO" / "GEOQA_R1V_Train_8K"))) == 4
    assert "wrote geometry" in capsys.readouterr().out
