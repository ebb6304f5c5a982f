"""Counting and geometry training sets from Hugging Face directories: samples, cached images, bad cells."""

import logging
import os
import pickle

import pytest
from PIL import Image

from paddlemix.datasets.hf_dir import read_hf_dir, write_hf_dir
from paddlemix.datasets.images import SkippedImages, load_sample_image
from paddlemix.datasets.r1v import default_cache_dir, load_r1v


@pytest.fixture
def cache_dir(tmp_path) -> str:
    """Where embedded Hugging Face images are written during a test."""
    return str(tmp_path / "image_cache")


def test_counting_samples(synthetic_root, cache_dir):
    ds = load_r1v(
        os.path.join(synthetic_root, "Counting", "clevr_cogen_a_train"), "counting", cache_dir=cache_dir
    )
    assert len(ds) == 12
    s = ds[0]
    assert s["task"] == "counting" and s["problem"] == "How many items are there in the image?"
    assert s["solution"].startswith("<answer> ") and s["solution"].endswith(" </answer>")
    assert os.path.isabs(s["image"]) and s["image"].startswith(cache_dir)
    assert Image.open(s["image"]).size == (120, 80)
    assert ds[0]["image"] == s["image"]  # written once, reused


def test_geometry_samples_save_to_disk_layout(tmp_path, cache_dir):
    from paddlemix.datasets.synthetic import write_geometry_layout

    write_geometry_layout(str(tmp_path), n=3, n_eval=1, seed=0, layout="save_to_disk")
    ds = load_r1v(str(tmp_path / "GEO" / "GEOQA_R1V_Train_8K"), "geometry", cache_dir=cache_dir)
    assert len(ds) == 3 and ds[2]["task"] == "geometry"
    assert ds[2]["solution"].startswith("<answer>") and ds[2]["problem"].startswith("As shown in the figure")
    assert load_sample_image(ds[2]) is not None


def test_subset_and_pickle_keep_lazy_images(synthetic_root, cache_dir):
    ds = load_r1v(os.path.join(synthetic_root, "GEO", "GEOQA_R1V_Train_8K"), "geometry", cache_dir=cache_dir)
    sub = ds.subset([5, 1])
    assert len(sub) == 2 and sub[0]["problem"] == ds[5]["problem"] and os.path.isfile(sub[1]["image"])
    again = pickle.loads(pickle.dumps(ds))  # what a DataLoader worker receives
    assert again[3]["solution"] == ds[3]["solution"]


def test_null_and_corrupt_cells_are_skipped_by_the_collator_check(tmp_path, cache_dir, caplog):
    src = read_hf_dir(os.path.join(_write_counting(tmp_path), "Counting", "clevr_cogen_a_train"))
    rows = [
        {"image": src.image(i), "problem": p, "solution": s}
        for i, (p, s) in enumerate(zip(src.column("problem"), src.column("solution")))
    ]
    rows[1]["image"] = None
    rows[2]["image"] = {"bytes": b"\x89PNG\r\n\x1a\n broken", "path": "broken.png"}
    features = {
        "image": {"_type": "Image"},
        "problem": {"dtype": "string", "_type": "Value"},
        "solution": {"dtype": "string", "_type": "Value"},
    }
    write_hf_dir(str(tmp_path / "bad"), {"train": rows}, features)
    ds = load_r1v(str(tmp_path / "bad"), "counting", cache_dir=cache_dir)
    skipped = SkippedImages()
    with caplog.at_level(logging.WARNING, logger="paddlemix.datasets"):
        images = [load_sample_image(ds[i], skipped) for i in range(len(ds))]
    assert [img is None for img in images] == [False, True, True, False]
    assert skipped.summary() == "2 bad image(s) skipped (1 missing, 1 corrupt)"
    assert "broken.png" in caplog.text
    report = ds.validate()
    assert report.good == [0, 3]


def test_wrong_task_and_columns(synthetic_root, tmp_path):
    with pytest.raises(ValueError, match="load_rec"):
        load_r1v(os.path.join(synthetic_root, "Counting", "clevr_cogen_a_train"), "rec")
    write_hf_dir(
        str(tmp_path / "d"),
        {"train": [{"question": "q"}]},
        {"question": {"dtype": "string", "_type": "Value"}},
    )
    with pytest.raises(KeyError, match="lacks column 'image'"):
        load_r1v(str(tmp_path / "d"), "counting")


def test_cache_dir_env(monkeypatch, tmp_path):
    monkeypatch.setenv("PADDLEMIX_DATA_CACHE", str(tmp_path))
    assert default_cache_dir() == str(tmp_path)


def _write_counting(tmp_path) -> str:
    from paddlemix.datasets.synthetic import write_counting_layout

    root = str(tmp_path / "src")
    write_counting_layout(root, n=4, n_eval=1, seed=2)
    return root
