"""Grounding metrics and counting by boxes (metrics/detection/grounding.py) against PR1's formulas."""

from __future__ import annotations

import numpy as np
import pytest

from paddlemix.metrics.detection import (
    GROUNDING_METRICS,
    count_boxes,
    grounding_scores,
    grounding_summary,
    pr1_count,
)


def pr1_scores(gt, pred):
    """PR1 evaluate_grounding.py's scorers, verbatim logic (called as scorer(gt_box, pred_box))."""

    def compute_iou(box1, box2):
        x_left, y_top = max(box1[0], box2[0]), max(box1[1], box2[1])
        x_right, y_bottom = min(box1[2], box2[2]), min(box1[3], box2[3])
        intersection = max(0, x_right - x_left) * max(0, y_bottom - y_top)
        area1 = (box1[2] - box1[0]) * (box1[3] - box1[1])
        area2 = (box2[2] - box2[0]) * (box2[3] - box2[1])
        return intersection / (area1 + area2 - intersection + 1e-10)

    def center(box1, box2):
        cx, cy = (box2[0] + box2[2]) / 2, (box2[1] + box2[3]) / 2
        return (box1[0] <= cx <= box1[2]) and (box1[1] <= cy <= box1[3])

    iou = compute_iou(gt, pred)
    out = {"IoU": iou}
    out.update({f"ACC@{t}": float(iou >= t) for t in (0.1, 0.3, 0.5, 0.75, 0.95)})
    out["Center_ACC"] = float(center(gt, pred))
    return out


def test_grounding_scores_match_pr1_on_random_boxes():
    rng = np.random.default_rng(0)
    for _ in range(300):
        gt = sorted(rng.uniform(0, 1000, 2))
        gy = sorted(rng.uniform(0, 1000, 2))
        gt_box = [gt[0], gy[0], gt[1], gy[1]]
        pred_box = list(np.asarray(gt_box) + rng.normal(0, rng.choice([5, 50, 300]), 4))
        if pred_box[2] <= pred_box[0] or pred_box[3] <= pred_box[1]:
            continue
        ours, theirs = grounding_scores(pred_box, gt_box), pr1_scores(gt_box, pred_box)
        assert ours["IoU"] == pytest.approx(theirs["IoU"], abs=1e-9)
        assert {k: v for k, v in ours.items() if k != "IoU"} == {
            k: v for k, v in theirs.items() if k != "IoU"
        }


GROUNDING_CASES = [
    # exact: every metric hit
    ([0, 0, 10, 10], [0, 0, 10, 10], {"IoU": 1.0, "ACC@0.95": 1.0, "Center_ACC": 1.0}),
    # IoU 1/3: ACC@0.3 yes, ACC@0.5 no; centre (10, 5) on the gt's edge counts
    ([5, 0, 15, 10], [0, 0, 10, 10], {"IoU": 1 / 3, "ACC@0.3": 1.0, "ACC@0.5": 0.0, "Center_ACC": 1.0}),
    # no predicted box: zeros
    (None, [0, 0, 10, 10], {"IoU": 0.0, "ACC@0.1": 0.0, "Center_ACC": 0.0}),
]


@pytest.mark.parametrize("pred, gt, expected", GROUNDING_CASES)
def test_grounding_scores_by_hand(pred, gt, expected):
    scores = grounding_scores(pred, gt)
    assert set(scores) == set(GROUNDING_METRICS)
    for key, value in expected.items():
        assert scores[key] == pytest.approx(value)


def test_grounding_summary_is_percent():
    rows = [grounding_scores([0, 0, 10, 10], [0, 0, 10, 10]), grounding_scores(None, [0, 0, 10, 10])]
    summary = grounding_summary(rows)
    assert summary["IoU"] == 50.0 and summary["ACC@0.5"] == 50.0 and summary["Center_ACC"] == 50.0


COUNT_CASES = [
    # three Qwen2-VL boxes
    (
        "<|box_start|>(1,1),(5,5)<|box_end|><|box_start|>(6,6),(9,9)<|box_end|><|box_start|>(0,0),(2,2)<|box_end|>",
        3,
        3,
    ),
    # the same box twice is one object for us; PR1 counted 2
    ("<|box_start|>(1,1),(5,5)<|box_end|><|box_start|>(1,1),(5,5)<|box_end|>", 1, 2),
    # a malformed span does not count for either
    ("<|box_start|>(1,1),(5,5)<|box_end|><|box_start|>oops<|box_end|>", 1, 1),
    # a reversed box is no box for us; PR1 counted any point pair
    ("<|box_start|>(5,5),(1,1)<|box_end|>", 0, 1),
    # Qwen2.5-VL JSON list
    ('[{"bbox_2d": [1, 1, 5, 5], "label": "a"}, {"bbox_2d": [6, 6, 9, 9], "label": "a"}]', 2, None),
    # no box: 0 for us, None (never equal to 0) for PR1
    ("there are none", 0, None),
]


@pytest.mark.parametrize("text, ours, pr1", COUNT_CASES)
def test_count_boxes(text, ours, pr1):
    assert count_boxes(text) == ours
    assert pr1_count(text) == pr1


def test_pr1_count_never_evaluates_code():
    assert pr1_count("<|box_start|>__import__('os').system('true')<|box_end|>") is None
