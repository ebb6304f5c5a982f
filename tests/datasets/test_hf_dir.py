"""Hugging Face dataset directories read with pyarrow alone, in both layouts, and checked against `datasets`.

The default run needs no `datasets`: directories are written by our pyarrow writer. When `datasets` is
installed, the same reader is also run on directories written by `datasets` itself, and `datasets` loads
ours, so the two stay interchangeable.
"""

import importlib.util
import io
import os
import pickle

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from paddlemix.datasets.hf_dir import list_splits, read_hf_dir, write_hf_dir

HAS_DATASETS = importlib.util.find_spec("datasets") is not None
requires_datasets = pytest.mark.skipif(not HAS_DATASETS, reason="the datasets library is not installed")

FEATURES = {
    "image": {"_type": "Image"},
    "problem": {"dtype": "string", "_type": "Value"},
    "solution": {"dtype": "string", "_type": "Value"},
}


def _png(value: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (value, 0, 0)).save(buf, format="PNG")
    return buf.getvalue()


def _rows(n: int, offset: int = 0) -> list[dict]:
    return [
        {
            "image": {"bytes": _png(i + offset), "path": f"img_{i + offset}.png"},
            "problem": f"q{i + offset}",
            "solution": f"<answer> {i} </answer>",
        }
        for i in range(n)
    ]


@pytest.mark.parametrize("layout", ["hub", "save_to_disk"])
def test_round_trip(tmp_path, layout):
    path = str(tmp_path / "ds")
    write_hf_dir(path, {"train": _rows(5), "test": _rows(2, 100)}, FEATURES, layout, rows_per_group=2)
    assert sorted(list_splits(path)) == ["test", "train"]
    table = read_hf_dir(path, "train")
    assert len(table) == 5 and table.image_columns == ["image"]
    assert table.column("problem") == [f"q{i}" for i in range(5)]
    for i in (4, 0, 3):  # out of order, across row groups
        cell = table.image(i)
        assert cell["path"] == f"img_{i}.png" and cell["bytes"] == _png(i)
    assert read_hf_dir(path, "test").column("problem") == ["q100", "q101"]


def test_layout_files(tmp_path):
    write_hf_dir(str(tmp_path / "hub"), {"train": _rows(1)}, FEATURES, "hub")
    assert os.path.isfile(tmp_path / "hub" / "data" / "train-00000-of-00001.parquet")
    assert "config_name: default" in (tmp_path / "hub" / "README.md").read_text()
    write_hf_dir(str(tmp_path / "disk"), {"train": _rows(1)}, FEATURES, "save_to_disk")
    for name in (
        "dataset_dict.json",
        "train/state.json",
        "train/dataset_info.json",
        "train/data-00000-of-00001.arrow",
    ):
        assert os.path.isfile(tmp_path / "disk" / name)


def test_parquet_converter_layout_and_several_shards(tmp_path):
    """The hub's parquet-converter branch: `default/train/0000.parquet`, `0001.parquet`."""
    schema = pa.schema(
        [
            ("image", pa.struct([("bytes", pa.binary()), ("path", pa.string())])),
            ("problem", pa.string()),
            ("solution", pa.string()),
        ]
    )
    folder = tmp_path / "conv" / "default" / "train"
    folder.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(_rows(3), schema=schema), folder / "0000.parquet")
    pq.write_table(pa.Table.from_pylist(_rows(2, 3), schema=schema), folder / "0001.parquet")
    table = read_hf_dir(str(tmp_path / "conv"), "train")
    assert len(table) == 5 and table.image(4)["path"] == "img_4.png"
    assert table.image_columns == ["image"]  # inferred from the struct: no huggingface metadata here


def test_null_image_cell(tmp_path):
    rows = _rows(2)
    rows[1]["image"] = None
    write_hf_dir(str(tmp_path / "d"), {"train": rows}, FEATURES, "save_to_disk")
    assert read_hf_dir(str(tmp_path / "d")).image(1) is None


def test_pickles_by_path(tmp_path):
    write_hf_dir(str(tmp_path / "d"), {"train": _rows(3)}, FEATURES, "hub")
    table = pickle.loads(pickle.dumps(read_hf_dir(str(tmp_path / "d"))))
    assert table.image(2)["bytes"] == _png(2)


def test_errors_say_what_is_there(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        read_hf_dir(str(tmp_path / "nope"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="not a Hugging Face dataset directory"):
        read_hf_dir(str(tmp_path / "empty"))
    write_hf_dir(str(tmp_path / "d"), {"train": _rows(1)}, FEATURES, "hub")
    with pytest.raises(KeyError, match="splits: \\['train'\\]"):
        read_hf_dir(str(tmp_path / "d"), "validation")
    with pytest.raises(ValueError, match="unknown layout"):
        write_hf_dir(str(tmp_path / "x"), {"train": []}, FEATURES, "zip")


def _datasets_features():
    import datasets

    return datasets.Features(
        {"image": datasets.Image(), "problem": datasets.Value("string"), "solution": datasets.Value("string")}
    )


@requires_datasets
@pytest.mark.parametrize("kind", ["Dataset", "DatasetDict", "hub"])
def test_reads_what_datasets_writes(tmp_path, kind):
    import datasets

    rows = _rows(4)
    ds = datasets.Dataset.from_list(rows, features=_datasets_features())
    path = str(tmp_path / kind)
    if kind == "Dataset":
        ds.save_to_disk(path)
    elif kind == "DatasetDict":
        datasets.DatasetDict({"train": ds}).save_to_disk(path)
    else:
        os.makedirs(os.path.join(path, "data"))
        ds.to_parquet(os.path.join(path, "data", "train-00000-of-00001.parquet"))
    table = read_hf_dir(path, "train")
    assert table.column("solution") == [r["solution"] for r in rows]
    assert table.image(3)["bytes"] == _png(3)


@requires_datasets
@pytest.mark.parametrize("layout", ["hub", "save_to_disk"])
def test_datasets_reads_what_we_write(tmp_path, layout):
    import datasets

    path = str(tmp_path / "d")
    write_hf_dir(path, {"train": _rows(3)}, FEATURES, layout)
    loaded = (
        datasets.load_from_disk(path)
        if layout == "save_to_disk"
        else datasets.load_dataset(path, cache_dir=str(tmp_path / "cache"))
    )
    train = loaded["train"]
    assert train.features["image"] == datasets.Image()
    assert train[2]["problem"] == "q2" and train[2]["image"].size == (8, 8)
