"""The OCR/ and Affordance/ layouts in the checker (check_layout.py) and the loaders of their formats."""

from __future__ import annotations

import json
import os

import pytest

from paddlemix.datasets.affordance import load_affordance, load_affordance_eval
from paddlemix.datasets.check_layout import check_data_dir, exit_status, format_report
from paddlemix.datasets.hf_dir import write_hf_dir
from paddlemix.datasets.ocr import load_ocr, load_ocr_hf
from paddlemix.datasets.synthetic import write_affordance_layout, write_ocr_layout
from paddlemix.errors import UserError
from paddlemix.tasks import load_task_samples, prompt_text


def test_checker_counts_ocr_and_affordance(tmp_path):
    write_ocr_layout(str(tmp_path), n=3, n_eval=2)
    write_affordance_layout(str(tmp_path), n=3, n_eval=2, size=56)
    reports = check_data_dir(str(tmp_path), ["ocr", "affordance"])
    text = format_report(reports)
    assert exit_status(reports) == 0 and "Summary: OCR ok, Affordance ok" in text
    assert "ocr_train.json" in text and "reasonaff_test [test]" in text


def test_checker_names_what_is_missing(tmp_path):
    root = write_ocr_layout(str(tmp_path), n=2, n_eval=1)
    os.remove(os.path.join(root, "images", "train_000000.png"))
    os.remove(os.path.join(root, "eval", "en_page_ocr.json"))
    reports = check_data_dir(str(tmp_path), ["ocr", "affordance"])
    text = format_report(reports)
    assert exit_status(reports) == 1
    assert (
        "MISSING eval/en_page_ocr.json" in text
        and "1 bad image(s)" in text
        and "github.com/ucaslcl/Fox" in text
    )
    assert "Affordance (affordance): NOT FOUND" in text and "no prepacked archive" in text


def test_ocr_formats_load_the_same_samples(tmp_path):
    root = write_ocr_layout(str(tmp_path), n=3, n_eval=1)
    pr1 = load_ocr(os.path.join(root, "ocr_train.json"))
    plain = load_ocr(os.path.join(root, "ocr_train.jsonl"))
    assert [s["solution"] for s in pr1] == [s["solution"] for s in plain]
    assert all(os.path.isfile(s["image"]) and s["task"] == "ocr" for s in pr1)
    # A Hugging Face folder with image + text.
    with open(pr1[0]["image"], "rb") as f:
        cell = {"bytes": f.read(), "path": "a.png"}
    features = {"image": {"_type": "Image"}, "text": {"dtype": "string", "_type": "Value"}}
    write_hf_dir(str(tmp_path / "ocr_hf"), {"train": [{"image": cell, "text": "hello"}]}, features)
    hf = load_task_samples(str(tmp_path / "ocr_hf"))  # the folder's name says ocr
    assert hf[0]["solution"] == "hello" and os.path.isfile(hf[0]["image"]) and hf[0]["task"] == "ocr"
    assert prompt_text(hf[0]) == "<image>\nOCR this image: "
    # A .json is also a REC suffix: the task must be named.
    assert load_task_samples(os.path.join(root, "ocr_train.json"), task="ocr")[0]["task"] == "ocr"


def test_ocr_record_without_text_is_a_user_error(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"image": "a.png", "conversations": [{"value": "q"}]}) + "\n")
    with pytest.raises(UserError, match=r"bad.jsonl:1: .*conversations\[1\].value"):
        load_ocr(str(path))
    with pytest.raises(UserError, match="needs `image` and one of"):
        features = {"image": {"_type": "Image"}}
        write_hf_dir(str(tmp_path / "hf"), {"train": [{"image": {"bytes": b"", "path": "x"}}]}, features)
        load_ocr_hf(str(tmp_path / "hf"))


def test_affordance_samples_carry_the_seed_fields(tmp_path):
    root = write_affordance_layout(str(tmp_path), n=2, n_eval=2, size=56)
    train = load_task_samples(os.path.join(root, "reasonaff_train"))  # "aff" in the name decides
    sample = train[0]
    assert sample["task"] == "affordance" and sample["question"] == sample["problem"].lower().strip(".")
    assert {"solution", "aff_name", "part_name"} <= set(sample) and os.path.isfile(sample["image"])
    assert f'Please answer "{sample["question"]}" with bboxs and points.' in prompt_text(sample)
    test = load_affordance_eval(
        os.path.join(root, "reasonaff_test"), resize=112, cache_dir=str(tmp_path / "c")
    )
    assert len(test) == 2 and all(
        os.path.isfile(s[k]) for s in test for k in ("image", "original_image", "mask")
    )
    from PIL import Image

    with Image.open(test[0]["image"]) as img:
        assert img.size == (112, 112)
    # jsonl training rows
    path = tmp_path / "aff.jsonl"
    path.write_text(
        json.dumps({"image": sample["image"], **{k: sample[k] for k in ("problem", "solution", "aff_name")}})
        + "\n"
    )
    rows = load_affordance(str(path))
    assert rows[0]["question"] == sample["question"] and rows[0]["image"] == sample["image"]
