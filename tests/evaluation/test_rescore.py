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


# VLM-R1's published REC outputs (src/eval/logs at fcb252a) and the accuracies VLM-R1 published for them.
VLM_R1_R1 = os.path.join(LOGS, "rec_results_refcoco_val_qwen2_5vl_3b_instruct_r1_600.json")
VLM_R1_SFT = os.path.join(LOGS, "rec_results_refcocog_val_qwen2_5vl_3b_instruct_sft_500.json")


@pytest.mark.parametrize(
    "path, published", [(VLM_R1_R1, 90.2), (VLM_R1_SFT, 83.0)], ids=["r1_600", "sft_500"]
)
def test_vlm_r1_metric_reproduces_the_published_rec_numbers(path, published):
    assert rescore(path, metric="vlm_r1") == published
    # and each sample's stored verdict, not only the total
    assert [int(v) for v in rescore_samples(path, metric="vlm_r1")] == [
        r["correct"] for r in _stored(path)["results"]
    ]


def test_vlm_r1_method_comes_from_the_file_name_and_can_be_overridden():
    # The SFT run was scored by the baseline script: its outputs have no <answer> block, so r1 finds no box.
    assert rescore(VLM_R1_SFT, metric="vlm_r1", method="r1") == 0.0
    assert rescore(VLM_R1_R1, metric="vlm_r1", method="baseline") != 90.2


def test_vlm_r1_and_seed_differ_where_the_answer_names_two_boxes():
    # refcoco_val r1_600, result 80: two boxes in the answer. VLM-R1's greedy `\{.*\[` takes the last one
    # (wrong), the seed the first (right): the seed's 90.4 against the published 90.2.
    results = _stored(VLM_R1_R1)["results"]
    seed, vlm_r1 = rescore_samples(VLM_R1_R1, metric="seed"), rescore_samples(VLM_R1_R1, metric="vlm_r1")
    assert [i for i, (a, b) in enumerate(zip(seed, vlm_r1)) if a != b] == [80]
    assert results[80]["correct"] == 0 and seed[80]
    assert rescore(VLM_R1_R1, metric="seed") == 90.4


@pytest.mark.parametrize(
    "output, right",
    [
        ('<answer>{"bbox_2d": [0, 0, 10, 10]}</answer>', True),
        ('<answer>\n{"bbox_2d": [0, 0, 10, 10]}\n</answer>', False),  # no re.DOTALL at 6fd7e5e
        ('<answer>{"bbox_2d": [0.0, 0, 10, 10]}</answer>', False),  # the r1 regex reads integers only
        ("<answer>[0, 0, 10, 10]</answer>", False),  # no {...} around the box
        ("[0, 0, 10, 10]", False),  # no <answer>
    ],
)
def test_vlm_r1_r1_extraction(tmp_path, output, right):
    path = _rec_file(
        tmp_path, "rec_results_x_r1_1.json", [{"ground_truth": [0, 0, 10, 10], "model_output": output}]
    )
    assert rescore_samples(path, metric="vlm_r1") == [right]


def test_vlm_r1_baseline_reads_the_first_bracket_anywhere(tmp_path):
    results = [
        {"ground_truth": [0, 0, 10, 10], "model_output": "x\n[0.0, 0, 10.0, 10] then [50, 50, 60, 60]"},
        {"ground_truth": [0, 0, 10, 10], "model_output": "0, 0, 10, 10"},  # no brackets: no box
    ]
    path = _rec_file(tmp_path, "rec_results_x_baseline.json", results)
    assert rescore_samples(path, metric="vlm_r1") == [True, False]


def test_frameless_file_needs_the_frame_flags(tmp_path, capsys):
    with pytest.raises(ValueError, match="--coord_frame original .* or --model_type"):
        rescore(VLM_R1_R1)
    assert rescore(VLM_R1_R1, coord_frame="original") == 90.2
    # a frame that rescales needs image sizes, which VLM-R1's files do not store
    with pytest.raises(ValueError, match="image size"):
        rescore(VLM_R1_R1, model_type="qwen2_5_vl")
    main([VLM_R1_SFT, "--metric", "vlm_r1"])
    assert "vlm_r1 accuracy 83.0 (415/500), equal to stored 83.0" in capsys.readouterr().out
