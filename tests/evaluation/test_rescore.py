"""Rescoring saved results (evaluation/rescore.py): R1-V's four published numbers from its real logs."""

from __future__ import annotations

import functools
import json
import os

import pytest

from paddlemix.evaluation.rescore import accuracy, infer_task, main, rescore, rescore_samples, score_results

LOGS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "reference_outputs")
COUNTING_BASE = os.path.join(LOGS, "counting_results_superclevr_200_qwen2vl_2b_instruct_legacy.json")
COUNTING_GRPO = os.path.join(LOGS, "counting_results_superclevr_200_qwen2vl_2b_instruct_grpo100_legacy.json")
GEOQA_BASE = os.path.join(LOGS, "geoqa_test_qwen2vl_7b_instruct_legacy.json")
GEOQA_GRPO = os.path.join(LOGS, "geoqa_test_qwen2vl_7b_grpo_2epochs_legacy.json")

# (file, R1-V's published accuracy, our fixed metric's accuracy)
PUBLISHED = [
    (COUNTING_BASE, 48.0, 49.5),  # Qwen2-VL-2B-Instruct, SuperCLEVR-200
    (COUNTING_GRPO, 82.5, 82.5),  # after 100 GRPO steps
    (GEOQA_BASE, 30.636604774535808, 224 / 754 * 100),  # Qwen2-VL-7B-Instruct, GeoQA test
    (GEOQA_GRPO, 38.726790450928384, 276 / 754 * 100),  # after 2 epochs of GRPO
]
IDS = ["counting_instruct", "counting_grpo100", "geoqa_instruct", "geoqa_grpo2ep"]


@functools.cache
def _verdicts(path: str, metric: str) -> tuple[bool, ...]:
    # GeoQA takes seconds per metric; the tests below share one scoring of each file.
    return tuple(rescore_samples(path, metric=metric))


def _stored(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


@pytest.mark.parametrize("path, published, _fixed", PUBLISHED, ids=IDS)
def test_r1v_metric_reproduces_the_published_numbers_exactly(path, published, _fixed):
    acc = accuracy(list(_verdicts(path, "r1v")))
    assert acc == published  # float equality, as stored in the file
    assert acc == _stored(path)["accuracy"]
    assert round(acc, 4) in (48.0, 82.5, 30.6366, 38.7268)


def test_r1v_metric_reproduces_every_geoqa_verdict():
    # Not only the total: each sample's stored is_correct.
    for path in (GEOQA_BASE, GEOQA_GRPO):
        stored = [r["is_correct"] for r in _stored(path)["results"]]
        assert list(_verdicts(path, "r1v")) == stored


@pytest.mark.parametrize("path, _published, fixed", PUBLISHED, ids=IDS)
def test_fixed_metric(path, _published, fixed):
    # Pinned so that a change of the metric is a visible, reviewed change; rescore.py explains every gap.
    assert accuracy(list(_verdicts(path, "fixed"))) == fixed


def test_rescore_is_the_accuracy_of_the_verdicts():
    assert rescore(COUNTING_BASE, metric="r1v") == 48.0
    assert rescore(COUNTING_BASE) == accuracy(rescore_samples(COUNTING_BASE)) == 49.5


def test_seed_metric_scores_geoqa_zero():
    assert rescore(GEOQA_BASE, metric="seed") == 0.0  # the int regex never equals "140°"
    assert rescore(COUNTING_GRPO, metric="seed") == 82.5  # the seed's counting rule is R1-V's


def test_infer_task():
    assert infer_task(_stored(COUNTING_BASE)["results"]) == "counting"
    assert infer_task(_stored(GEOQA_BASE)["results"]) == "geometry"
    assert infer_task([{"ground_truth": [1, 2, 3, 4]}]) == "rec"
    with pytest.raises(ValueError, match="task="):
        infer_task([{"ground_truth": 4}, {"ground_truth": "4"}])


def test_unknown_metric_or_task_is_an_error():
    results = _stored(COUNTING_BASE)["results"]
    with pytest.raises(ValueError, match="fixed, r1v, seed"):
        score_results(results, metric="strict")
    with pytest.raises(ValueError, match="it scores: counting, geometry"):
        score_results([{"ground_truth": [0, 0, 1, 1], "model_output": ""}], metric="r1v")
    with pytest.raises(ValueError, match="no results"):
        accuracy([])


def _rec_file(tmp_path, name, results):
    path = tmp_path / name
    path.write_text(json.dumps({"accuracy": 0.0, "results": results}))
    return str(path)


def test_rec_rescore(tmp_path):
    # One Qwen2.5-VL answer that is right once rescaled (2000x1000 image, 504x1008 input) and wrong raw,
    # and one Qwen2-VL answer in 0-1000 that is right once rescaled.
    results = [
        {
            "ground_truth": [200, 100, 1000, 500],
            "model_output": "<think>t</think><answer>[100.8, 50.4, 504, 252]</answer>",
            "image_size": [2000, 1000],
            "image_grid_thw": [1, 36, 72],
            "model_type": "qwen2_5_vl",
        },
        {
            "ground_truth": [64, 120, 320, 480],
            "model_output": '<answer>{"bbox_2d": [100, 250, 500, 1000]}</answer>',
            "image_size": [640, 480],
            "coord_frame": "qwen2_vl_norm1000",
        },
    ]
    path = _rec_file(tmp_path, "rec_results_refcoco_val_qwen_r1_100.json", results)
    assert rescore_samples(path) == [True, True]
    assert rescore_samples(path, metric="seed") == [False, False]
    # "original" overrides every result's frame: the boxes are then compared raw
    assert rescore_samples(path, coord_frame="original") == [False, False]


def test_rec_rescore_needs_a_frame(tmp_path):
    path = _rec_file(
        tmp_path, "rec.json", [{"ground_truth": [0, 0, 10, 10], "model_output": "[0, 0, 10, 10]"}]
    )
    with pytest.raises(ValueError, match="coord_frame"):
        rescore(path)
    assert rescore(path, coord_frame="original") == 100.0


def test_seed_rec_method_comes_from_the_file_name(tmp_path):
    results = [{"ground_truth": [0, 0, 10, 10], "model_output": "box 0, 0, 10, 10"}]
    assert rescore(_rec_file(tmp_path, "rec_results_ds_m_baseline_100.json", results), metric="seed") == 100.0
    assert rescore(_rec_file(tmp_path, "rec_results_ds_m_r1_100.json", results), metric="seed") == 0.0


def test_command_line(capsys):
    main([COUNTING_GRPO, "--metric", "r1v"])
    out = capsys.readouterr().out
    assert "r1v accuracy 82.5 (165/200), equal to stored 82.5" in out
