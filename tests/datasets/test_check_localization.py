"""The detection / OVD / grounding layout checker (datasets/check_localization.py)."""

from __future__ import annotations

import os

from paddlemix.datasets.check_localization import main
from paddlemix.datasets.synthetic.localization import write_detection_layout, write_grounding_layout


def test_complete_layout_passes_and_counts(tmp_path, capsys):
    write_detection_layout(str(tmp_path), n=4, n_eval=2)
    assert main(["--data-dir", str(tmp_path), "--tasks", "detection"]) == 0
    out = capsys.readouterr().out
    assert "Vision-R1-Data: 4 samples, 0 missing images" in out
    assert "coco/annotations/instances_val2017.json: 2 samples" in out


def test_missing_images_and_files_name_their_source(tmp_path, capsys):
    write_grounding_layout(str(tmp_path), n=2, n_eval=2)
    images = tmp_path / "Grounding" / "images"
    os.remove(images / sorted(os.listdir(images))[0])
    os.remove(tmp_path / "Grounding" / "counting" / "pixmo_count_val540.jsonl")
    assert main(["--data-dir", str(tmp_path), "--tasks", "grounding"]) == 1
    out = capsys.readouterr().out
    assert "1 missing images" in out and "Kangheng/PR1-Evaluations" in out
    assert "MISSING counting/*.jsonl" in out


def test_absent_folders_are_a_failure_with_addresses(tmp_path, capsys):
    assert main(["--data-dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "detection: " in out and "JefferyZhan/Vision-R1-Data" in out and "images.cocodataset.org" in out
