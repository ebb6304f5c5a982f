"""The layout checker behind scripts/prepare_data.sh: counts per split, missing files and images, exit status."""

import os

from paddlemix.datasets.check_layout import check_data_dir, exit_status, format_report, main
from paddlemix.datasets.hf_dir import read_hf_dir, write_hf_dir
from paddlemix.datasets.layout import COUNTING, GEOMETRY, REC


def test_complete_layout(synthetic_root, capsys):
    assert main(["--data-dir", synthetic_root, "--decode"]) == 0
    out = capsys.readouterr().out
    assert "Summary: REC ok, Counting ok, GEO ok" in out
    assert "rec_jsons_processed/refcoco_train.json" in out and "clevr_cogen_a_train [train]" in out
    reports = check_data_dir(synthetic_root, ["rec", "counting", "geometry"])
    counts = {s.name: s.samples for r in reports for s in r.splits}
    assert counts["rec_jsons_processed/refcocog_val.json"] == 3
    assert counts["GEOQA_R1V_Train_8K [train]"] == 12 and counts["geoqa_test_prompts.jsonl"] == 3


def test_missing_image_names_it_and_where_to_get_it(fresh_root):
    victim = os.path.join(
        fresh_root, "Counting", "superclevr_200", "images", "synthetic_superCLEVR_000001.png"
    )
    os.remove(victim)
    reports = check_data_dir(fresh_root, ["rec", "counting", "geometry"])
    text = format_report(reports)
    assert exit_status(reports) == 1
    assert f"missing: {victim}" in text and "Counting (counting): INCOMPLETE" in text
    assert COUNTING.sources["eval_images"][1] in text  # the SuperCLEVR-200 download, not every source
    assert COUNTING.sources["train"][1] not in text
    assert "Summary: REC ok, Counting INCOMPLETE, GEO ok" in text


def test_missing_annotation_file_and_corrupt_image(fresh_root):
    os.remove(os.path.join(fresh_root, "REC", "rec_jsons_processed", "refgta_subsample.json"))
    with open(os.path.join(fresh_root, "GEO", "Geo170K", "images", "test", "0.png"), "wb") as f:
        f.write(b"garbage")
    assert exit_status(check_data_dir(fresh_root, ["geometry"], "exists")) == 0  # exists only stats
    reports = check_data_dir(fresh_root, ["rec", "geometry"], "decode")
    text = format_report(reports)
    assert "MISSING rec_jsons_processed/refgta_subsample.json" in text
    assert REC.sources["annotations"][1] in text
    assert "corrupt: " in text and GEOMETRY.sources["eval_images"][1] in text
    assert exit_status(reports) == 1


def test_hf_rows_without_image_bytes(fresh_root):
    path = os.path.join(fresh_root, "GEO", "GEOQA_R1V_Train_8K")
    table = read_hf_dir(path)
    rows = [{"image": table.image(i), "problem": "q", "solution": "s"} for i in range(len(table))]
    rows[2]["image"] = {"bytes": None, "path": "lost.png"}
    features = {
        "image": {"_type": "Image"},
        "problem": {"dtype": "string", "_type": "Value"},
        "solution": {"dtype": "string", "_type": "Value"},
    }
    write_hf_dir(path, {"train": rows}, features)
    text = format_report(check_data_dir(fresh_root, ["geometry"]))
    assert "row 2 has no image bytes (lost.png)" in text and GEOMETRY.sources["train"][1] in text


def test_absent_tasks_are_warnings_unless_nothing_is_there(fresh_root, tmp_path):
    reports = check_data_dir(fresh_root, ["rec"]) + check_data_dir(str(tmp_path / "elsewhere"), ["counting"])
    text = format_report(reports)
    assert exit_status(reports) == 0
    assert "Counting (counting): NOT FOUND" in text and COUNTING.archive_url in text
    assert all(url in text for _, url in COUNTING.sources.values())
    empty = check_data_dir(str(tmp_path / "elsewhere"), ["rec", "counting", "geometry"])
    assert exit_status(empty) == 1 and "Summary: no task data found" in format_report(empty)


def test_unreadable_annotation(fresh_root):
    with open(os.path.join(fresh_root, "REC", "rec_jsons_processed", "refcoco_val.json"), "w") as f:
        f.write("{not json")
    reports = check_data_dir(fresh_root, ["rec"])
    text = format_report(reports)
    assert exit_status(reports) == 1 and "UNREADABLE" in text
    assert REC.sources["annotations"][1] in text and REC.sources["images"][1] not in text
