"""IoU, GIoU, L1 and matching (metrics/detection/overlap.py, matching.py) against hand values and brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from paddlemix.metrics.boxes import inclusive_pixel_iou as seed_pixel_iou
from paddlemix.metrics.detection import (
    box_iou,
    giou_matrix,
    greedy_match,
    hungarian,
    iou_matrix,
    l1_matrix,
    pixel_iou_matrix,
    vision_r1_cost,
    vision_r1_match,
)

IOU_CASES = [
    # identical
    ([0, 0, 10, 10], [0, 0, 10, 10], 1.0, 1.0),
    # half overlap: inter 50, union 150; hull = union, so GIoU = IoU
    ([0, 0, 10, 10], [5, 0, 15, 10], 1 / 3, 1 / 3),
    # disjoint side by side with a gap: IoU 0, hull 30x10 = 300, union 200 -> GIoU -1/3
    ([0, 0, 10, 10], [20, 0, 30, 10], 0.0, -1 / 3),
    # contained: inter 16, union 100, hull 100
    ([0, 0, 10, 10], [2, 2, 6, 6], 0.16, 0.16),
    # touching edges: no overlap, hull = union -> GIoU 0
    ([0, 0, 10, 10], [10, 0, 20, 10], 0.0, 0.0),
    # zero-area and reversed boxes overlap nothing: IoU 0, GIoU -1 (no division by zero)
    ([5, 5, 5, 5], [5, 5, 5, 5], 0.0, -1.0),
    ([10, 10, 0, 0], [0, 0, 10, 10], 0.0, -1.0),
]


@pytest.mark.parametrize("a, b, iou, giou", IOU_CASES)
def test_iou_and_giou(a, b, iou, giou):
    assert iou_matrix([a], [b])[0, 0] == pytest.approx(iou)
    assert iou_matrix([b], [a])[0, 0] == pytest.approx(iou)
    assert giou_matrix([a], [b])[0, 0] == pytest.approx(giou)
    assert box_iou(a, b) == pytest.approx(iou)


def test_matrices_have_pair_shapes_and_empty_inputs():
    a = np.array([[0, 0, 1, 1], [0, 0, 2, 2], [1, 1, 3, 3]], dtype=float)
    assert iou_matrix(a, a[:2]).shape == (3, 2)
    assert giou_matrix(a, []).shape == (3, 0)
    assert l1_matrix([], a).shape == (0, 3)
    assert l1_matrix([[0, 0, 1, 1]], [[1, 1, 3, 4]])[0, 0] == 1 + 1 + 2 + 3


def test_giou_matches_the_definition_on_random_boxes():
    # GIoU = IoU - (hull - union) / hull, written out per pair
    rng = np.random.default_rng(0)
    xy = np.sort(rng.uniform(0, 100, (50, 2, 2)), axis=1)
    boxes = np.stack([xy[:, 0, 0], xy[:, 0, 1], xy[:, 1, 0], xy[:, 1, 1]], axis=1)
    got = giou_matrix(boxes[:25], boxes[25:])
    for i, j in itertools.product(range(25), range(25)):
        p, g = boxes[i], boxes[25 + j]
        iw = max(0.0, min(p[2], g[2]) - max(p[0], g[0]))
        ih = max(0.0, min(p[3], g[3]) - max(p[1], g[1]))
        inter = iw * ih
        union = (p[2] - p[0]) * (p[3] - p[1]) + (g[2] - g[0]) * (g[3] - g[1]) - inter
        hull = (max(p[2], g[2]) - min(p[0], g[0])) * (max(p[3], g[3]) - min(p[1], g[1]))
        assert got[i, j] == pytest.approx(inter / union - (hull - union) / hull, abs=1e-12)


def test_iou_matrix_is_metrics_boxes_box_iou_for_every_pair():
    rng = np.random.default_rng(2)
    xy = np.sort(rng.uniform(0, 50, (40, 2, 2)), axis=1)
    boxes = np.stack([xy[:, 0, 0], xy[:, 0, 1], xy[:, 1, 0], xy[:, 1, 1]], axis=1)
    got = iou_matrix(boxes[:20], boxes[20:])
    for i, j in itertools.product(range(20), range(20)):
        assert got[i, j] == pytest.approx(box_iou(list(boxes[i]), list(boxes[20 + j])), abs=1e-12)


def test_pixel_iou_is_the_seed_rule_of_metrics_boxes():
    rng = np.random.default_rng(1)
    xy = np.sort(rng.uniform(0, 50, (40, 2, 2)), axis=1)
    boxes = np.stack([xy[:, 0, 0], xy[:, 0, 1], xy[:, 1, 0], xy[:, 1, 1]], axis=1)
    got = pixel_iou_matrix(boxes[:20], boxes[20:])
    for i, j in itertools.product(range(20), range(20)):
        assert got[i, j] == pytest.approx(seed_pixel_iou(list(boxes[i]), list(boxes[20 + j])), abs=1e-12)


def brute_force_min_cost(cost: np.ndarray) -> float:
    """The minimum total cost over every one-to-one assignment of min(N, M) pairs."""
    n, m = cost.shape
    if n <= m:
        return min(
            sum(cost[i, c] for i, c in enumerate(cols)) for cols in itertools.permutations(range(m), n)
        )
    return min(sum(cost[r, j] for j, r in enumerate(rows)) for rows in itertools.permutations(range(n), m))


@pytest.mark.parametrize("n, m", [(1, 1), (2, 3), (3, 2), (4, 4), (5, 3), (3, 5)])
def test_hungarian_matches_brute_force(n, m):
    rng = np.random.default_rng(n * 10 + m)
    for _ in range(20):
        pred = np.sort(rng.uniform(0, 60, (n, 2, 2)), axis=1).reshape(n, 4)
        gt = np.sort(rng.uniform(0, 60, (m, 2, 2)), axis=1).reshape(m, 4)
        pred_cls, gt_cls = rng.integers(0, 3, n), rng.integers(1, 3, m)
        cost = vision_r1_cost(pred, pred_cls, gt, gt_cls)
        rows, cols = hungarian(cost)
        assert len(rows) == min(n, m) and len(set(rows)) == len(rows) and len(set(cols)) == len(cols)
        assert cost[rows, cols].sum() == pytest.approx(brute_force_min_cost(cost), abs=1e-9)


def test_vision_r1_cost_terms():
    # one prediction on top of gt 0 (same class) and far from gt 1
    pred, gt = [[0, 0, 10, 10]], [[0, 0, 10, 10], [50, 50, 60, 60]]
    cost = vision_r1_cost(pred, [1], gt, [1, 2])
    # gt 0: L1 0, class -1, GIoU -1 -> -2; gt 1: L1 200, class 0, GIoU = 0 - (3600 - 200) / 3600
    assert cost[0, 0] == pytest.approx(-2.0)
    assert cost[0, 1] == pytest.approx(200 + (3600 - 200) / 3600)
    match = vision_r1_match(pred, [1], gt, [1, 2])
    assert list(match.pred) == [0] and list(match.gt) == [0] and match.giou[0] == pytest.approx(1.0)


def test_vision_r1_match_leaves_surplus_predictions_unmatched():
    gt = [[0, 0, 10, 10]]
    pred = [[40, 40, 50, 50], [1, 1, 10, 10], [0, 0, 9, 9]]
    match = vision_r1_match(pred, [1, 1, 1], gt, [1])
    assert len(match.pred) == 1 and match.pred[0] in (1, 2)


GREEDY_CASES = [
    # the best pair first, then the best of what is left
    ([[0.9, 0.6], [0.8, 0.7]], 0.5, [(0, 0), (1, 1)]),
    # stops below the threshold
    ([[0.9, 0.1], [0.2, 0.4]], 0.5, [(0, 0)]),
    # ties go to the first pair in row-major order, as VLM-R1's strict ">" scan does
    ([[0.6, 0.6], [0.6, 0.6]], 0.5, [(0, 0), (1, 1)]),
    # nothing to match
    (np.zeros((0, 2)), 0.5, []),
]


@pytest.mark.parametrize("iou, threshold, expected", GREEDY_CASES)
def test_greedy_match(iou, threshold, expected):
    assert greedy_match(np.asarray(iou, dtype=float), threshold) == expected
