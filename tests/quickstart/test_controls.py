"""The quickstarts' controls on hand-made results: best constant answer, wrong frame, shuffled images."""

from __future__ import annotations

import json

import pytest

from paddlemix.quickstart.ocr import OcrQuickstart
from paddlemix.quickstart.one_box import GroundingQuickstart, RecQuickstart
from paddlemix.quickstart.runner import EvalData


def rec_result(gt, output, size=150):
    """A REC result of a size x size image resized to 84 x 84."""
    return {
        "ground_truth": gt,
        "model_output": output,
        "image_size": [size, size],
        "input_size": [84, 84],
        "image_grid_thw": [1, 6, 6],
        "coord_frame": "qwen2_5_vl_abs",
        "model_type": "qwen2_5_vl",
    }


# Square 0 and square 8 of a 150-px board (50-px squares), and their boxes in the 84 x 84 input.
TOP_LEFT, BOTTOM_RIGHT = [5.0, 5.0, 45.0, 45.0], [105.0, 105.0, 145.0, 145.0]
TOP_LEFT_84, BOTTOM_RIGHT_84 = "[3,3,25,25]", "[59,59,81,81]"


def test_rec_best_constant_is_the_most_frequent_box():
    results = [rec_result(TOP_LEFT, "x")] * 3 + [rec_result(BOTTOM_RIGHT, "x")]
    assert RecQuickstart().best_constant_pct(results, None) == pytest.approx(75.0)


def test_rec_right_frame_scores_and_the_wrong_frame_does_not():
    from paddlemix.tasks import get_task

    results = [rec_result(TOP_LEFT, TOP_LEFT_84), rec_result(BOTTOM_RIGHT, BOTTOM_RIGHT_84)]
    assert get_task("rec").score(results, "fixed").value == pytest.approx(100.0)
    # read as original pixels, the 84-frame boxes are 1.8x too small and near the top left: both miss
    assert RecQuickstart().wrong_frame_pct(results) == pytest.approx(0.0)


def test_grounding_controls_in_the_0_1000_frame():
    base = {"image_size": [150, 150], "image_grid_thw": [1, 6, 6], "coord_frame": "qwen2_vl_norm1000"}
    results = [
        {**base, "ground_truth": TOP_LEFT, "model_output": "[33,33,300,300]"},
        {**base, "ground_truth": BOTTOM_RIGHT, "model_output": "[700,700,967,967]"},
        {**base, "ground_truth": BOTTOM_RIGHT, "model_output": "[0,0,10,10]"},
    ]
    task = GroundingQuickstart()
    assert task.best_constant_pct(results, None) == pytest.approx(200 / 3)
    assert task.wrong_frame_pct(results) == pytest.approx(0.0)


def test_ocr_best_constant_minimises_the_mean_edit_distance():
    results = [{"ground_truth": t} for t in ("AB", "AB", "CD")]
    # "AB": distances 0, 0, 1 -> mean 1/3
    assert OcrQuickstart().best_constant_pct(results, None) == pytest.approx(100 * (1 - 1 / 3))


def test_shuffled_permutes_the_images_and_keeps_the_questions(tmp_path):
    records = [{"image": f"{i}.png", "problem": f"q{i}", "solution": [i, i, i + 1, i + 1]} for i in range(8)]
    path = tmp_path / "quickstart_val.json"
    path.write_text(json.dumps(records))
    data = EvalData("train", None, str(tmp_path), str(path), str(tmp_path))
    shuffled = RecQuickstart().shuffled(data, str(tmp_path / "shuffled"), seed=0)
    permuted = json.loads(open(shuffled.eval_file).read())
    assert [r["problem"] for r in permuted] == [r["problem"] for r in records]
    assert [r["solution"] for r in permuted] == [r["solution"] for r in records]
    assert sorted(r["image"] for r in permuted) == sorted(r["image"] for r in records)
    assert [r["image"] for r in permuted] != [r["image"] for r in records]
