"""OVDEval's ground-truth NMS and NMS-AP (metrics/detection/ovdeval.py)."""

from __future__ import annotations

import pytest

from paddlemix.metrics.detection.coco import coco_bbox_ap
from paddlemix.metrics.detection.ovdeval import nms_ap, nms_with_ground_truth


def pred(box, score, category=1):
    return {"image_id": 1, "category_id": category, "bbox": box, "score": score}


GT_A = {"bbox": [0, 0, 10, 10]}
GT_B = {"bbox": [6, 0, 10, 10]}


@pytest.mark.parametrize(
    "ground_truth, predictions, kept",
    [
        # two labels answered with the same box: the lower-scoring one goes, whatever its class
        ([GT_A], [pred([0, 0, 10, 10], 0.9, 1), pred([0, 0, 10, 10], 0.5, 2)], [0]),
        # a prediction near no ground truth stays (a false positive either way)
        ([GT_A], [pred([0, 0, 10, 10], 0.9), pred([50, 50, 5, 5], 0.1)], [0, 1]),
        # IoU exactly 0.5 is not "over 0.5": [0,0,10,10] and [0,0,10,5] overlap by 0.5, both stay
        ([GT_A], [pred([0, 0, 10, 10], 0.9), pred([0, 0, 10, 5], 0.8)], [0, 1]),
        # removed by A's rule, but the best for B: another ground truth keeps it
        (
            [GT_A, GT_B],
            [pred([0, 0, 10, 10], 0.9), pred([3, 0, 10, 10], 0.8), pred([6, 0, 10, 10], 0.1)],
            [0, 1],
        ),
        # equal scores: OVDEval's argsort(...)[::-1] keeps the later one
        ([GT_A], [pred([0, 0, 10, 10], 1.0), pred([0, 0, 10, 10], 1.0)], [1]),
        # no ground truth in the image: nothing is removed
        ([], [pred([0, 0, 10, 10], 1.0), pred([0, 0, 10, 10], 1.0)], [0, 1]),
        # nothing predicted
        ([GT_A], [], []),
    ],
)
def test_nms_with_ground_truth(ground_truth, predictions, kept):
    assert nms_with_ground_truth(ground_truth, predictions) == [predictions[i] for i in kept]


def test_a_guessed_negative_label_costs_plain_ap_but_not_nms_ap():
    gt = {
        "images": [{"id": 1, "width": 100, "height": 100}, {"id": 2, "width": 100, "height": 100}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 30, 30], "area": 900, "iscrowd": 0},
            {"id": 2, "image_id": 2, "category_id": 2, "bbox": [50, 50, 20, 20], "area": 400, "iscrowd": 0},
        ],
        "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}],
    }
    results = [
        {"image_id": 1, "category_id": 1, "bbox": [10, 10, 30, 30], "score": 0.9},
        {"image_id": 1, "category_id": 2, "bbox": [10, 10, 30, 30], "score": 0.8},  # "dog" guessed on the cat
        {"image_id": 2, "category_id": 2, "bbox": [50, 50, 20, 20], "score": 0.7},
    ]
    plain, nms = coco_bbox_ap(gt, results)["AP"], nms_ap(gt, results)["AP"]
    assert plain < 0.9 and nms == pytest.approx(1.0)
