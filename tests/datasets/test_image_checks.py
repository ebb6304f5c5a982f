"""Image checks: missing and corrupt files are reported by name, counted, and never raise out of a loader."""

import logging

import pytest
from PIL import Image

from paddlemix.datasets.dataset import SampleDataset
from paddlemix.datasets.images import (
    BadImageError,
    SkippedImages,
    check_image,
    check_image_bytes,
    filter_samples,
    load_sample_image,
    open_image,
    validate_images,
)


@pytest.fixture
def files(tmp_path):
    """A good PNG, a truncated PNG, a text file named .jpg, and a path that does not exist."""
    good = tmp_path / "good.png"
    Image.new("RGB", (28, 28), (10, 200, 30)).save(good)
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(good.read_bytes()[:40])
    text = tmp_path / "text.jpg"
    text.write_text("not an image")
    return {
        "good": str(good),
        "truncated": str(truncated),
        "text": str(text),
        "missing": str(tmp_path / "no.png"),
    }


def test_check_image_reasons(files):
    assert check_image(files["good"]) is None
    assert check_image(files["missing"]).startswith("missing: ")
    assert check_image(files["truncated"]).startswith("corrupt: ")
    assert check_image(files["text"]).startswith("corrupt: ")
    # "exists" only stats: a corrupt file passes it, a missing one does not.
    assert check_image(files["text"], "exists") is None
    assert check_image(files["missing"], "exists").startswith("missing")
    assert check_image(files["missing"], "none") is None
    with pytest.raises(ValueError, match="known: none, exists, decode"):
        check_image(files["good"], "quick")


def test_open_image_gives_rgb_or_bad_image_error(files):
    assert open_image(files["good"]).mode == "RGB"
    with pytest.raises(BadImageError, match="truncated.png"):
        open_image(files["truncated"])


def test_check_image_bytes(files):
    with open(files["good"], "rb") as f:
        assert check_image_bytes(f.read()) is None
    assert check_image_bytes(b"\x89PNG garbage") is not None


def test_load_sample_image_skips_and_names_the_file(files, caplog):
    skipped = SkippedImages()
    with caplog.at_level(logging.WARNING, logger="paddlemix.datasets"):
        assert load_sample_image({"image": files["good"]}, skipped) is not None
        assert load_sample_image({"image": files["text"], "source": "a.json"}, skipped) is None
        assert load_sample_image({"image": files["missing"]}, skipped) is None
        assert load_sample_image({"image": files["missing"]}, skipped) is None  # counted once
    assert skipped.count == 2
    assert files["text"] in caplog.text and files["missing"] in caplog.text and "a.json" in caplog.text
    assert skipped.summary() == "2 bad image(s) skipped (1 missing, 1 corrupt)"


def test_warnings_name_the_first_few_then_only_count(caplog):
    skipped = SkippedImages(max_named=2)
    with caplog.at_level(logging.WARNING, logger="paddlemix.datasets"):
        for i in range(5):
            skipped.add(f"/x/{i}.png", f"missing: /x/{i}.png")
    assert skipped.count == 5
    assert "/x/1.png" in caplog.text and "/x/2.png" not in caplog.text
    assert "only counting" in caplog.text


def test_filter_and_validate(files):
    samples = [{"image": files[k], "source": "s"} for k in ("good", "missing", "truncated", "good")]
    skipped = SkippedImages()
    assert len(filter_samples(samples, "exists", skipped)) == 3
    assert skipped.count == 1
    report = validate_images(SampleDataset(samples), "decode")
    assert report.good == [0, 3] and not report.ok and report.skipped.count == 2


def test_drop_bad_images_returns_the_good_subset(files):
    ds = SampleDataset([{"image": files[k], "source": "s"} for k in ("good", "truncated", "good")], "t")
    clean = ds.drop_bad_images()
    assert len(clean) == 2 and clean.skipped.count == 1 and ds.skipped.count == 1
