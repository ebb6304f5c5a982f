"""Affordance-R1 metrics (metrics/affordance.py) against naive loops of the seed's formulas and brute force."""

from __future__ import annotations

import itertools
import json
import random

import numpy as np
import pytest

from paddlemix.metrics import affordance as aff


def seed_pair_score(pb, pp, gb, gp) -> float:
    """One pair's score, written out as aff_r1.py's batch_* functions compute it, one scalar at a time."""
    inter = max(0, min(pb[2], gb[2]) - max(pb[0], gb[0]) + 1) * max(
        0, min(pb[3], gb[3]) - max(pb[1], gb[1]) + 1
    )
    union = (pb[2] - pb[0] + 1) * (pb[3] - pb[1] + 1) + (gb[2] - gb[0] + 1) * (gb[3] - gb[1] + 1) - inter
    iou = inter / union
    l1 = sum(abs(a - b) for a, b in zip(pb, gb)) / 4
    dist = ((pp[0] - gp[0]) ** 2 + (pp[1] - gp[1]) ** 2) ** 0.5
    inside = pb[0] <= pp[0] <= pb[2] and pb[1] <= pp[1] <= pb[3]
    return float(iou > 0.65) + float(l1 < 10) + float(dist < 30 and inside)


def brute_force_accuracy(pred, gt) -> float:
    """Best one-to-one assignment by trying every injection of the smaller side into the larger."""
    scores = [
        [seed_pair_score(p["bbox_2d"], p["point_2d"], g["bbox_2d"], g["point_2d"]) for g in gt] for p in pred
    ]
    m, n = len(pred), len(gt)
    best = 0.0
    if m <= n:
        for cols in itertools.permutations(range(n), m):
            best = max(best, sum(scores[i][c] for i, c in enumerate(cols)))
    else:
        for rows in itertools.permutations(range(m), n):
            best = max(best, sum(scores[r][j] for j, r in enumerate(rows)))
    return best / max(m, n)


def random_object(rng: random.Random, near=None) -> dict:
    """A box with a point inside it; `near`: a jittered copy of another object (to make matches likely)."""
    if near is None:
        x1, y1 = rng.randint(0, 700), rng.randint(0, 700)
        box = [x1, y1, x1 + rng.randint(10, 130), y1 + rng.randint(10, 130)]
    else:
        box = [v + rng.randint(-12, 12) for v in near["bbox_2d"]]
    point = [
        rng.randint(min(box[0], box[2]), max(box[0], box[2])),
        rng.randint(min(box[1], box[3]), max(box[1], box[3])),
    ]
    return {"bbox_2d": box, "point_2d": point, "affordance": "hold"}


def test_pair_scores_equal_the_seeds_scalar_formula():
    rng = random.Random(0)
    for _ in range(30):
        gt = [random_object(rng) for _ in range(rng.randint(1, 4))]
        pred = [
            random_object(rng, near=rng.choice(gt)) if rng.random() < 0.7 else random_object(rng)
            for _ in range(rng.randint(1, 4))
        ]
        scores = aff.pair_scores(*aff.boxes_and_points(pred), *aff.boxes_and_points(gt))
        naive = [
            [seed_pair_score(p["bbox_2d"], p["point_2d"], g["bbox_2d"], g["point_2d"]) for g in gt]
            for p in pred
        ]
        assert scores.tolist() == naive


def test_hungarian_equals_brute_force_on_small_cases():
    rng = random.Random(1)
    for _ in range(200):
        gt = [random_object(rng) for _ in range(rng.randint(1, 5))]
        pred = [
            random_object(rng, near=rng.choice(gt)) if rng.random() < 0.7 else random_object(rng)
            for _ in range(rng.randint(1, 5))
        ]
        assert aff.accuracy_score(pred, gt) == pytest.approx(brute_force_accuracy(pred, gt))


def test_greedy_would_be_wrong_here():
    # Prediction 0 fits both objects; prediction 1 fits only object 0. A greedy first-come match scores 3/2.
    gt = [
        {"bbox_2d": [0, 0, 100, 100], "point_2d": [50, 50]},
        {"bbox_2d": [0, 0, 104, 104], "point_2d": [52, 52]},
    ]
    pred = [
        {"bbox_2d": [0, 0, 102, 102], "point_2d": [51, 51]},
        {"bbox_2d": [0, 0, 100, 100], "point_2d": [50, 50]},
    ]
    assert aff.accuracy_score(pred, gt) == pytest.approx(3.0)


@pytest.mark.parametrize(
    "pred, expected",
    [
        ([{"bbox_2d": [10, 10, 110, 110], "point_2d": [60, 60]}], 3.0),  # exact
        ([{"bbox_2d": [10, 10, 110, 110], "point_2d": [200, 200]}], 2.0),  # point outside its box
        (
            [{"bbox_2d": [20, 20, 120, 120], "point_2d": [60, 60]}],
            2.0,
        ),  # IoU 0.68 > 0.65, point; L1 10 not < 10
        ([{"bbox_2d": [10, 10, 110, 110], "point_2d": [60, 60]}] * 2, 1.5),  # a duplicate halves it
        ([], 0.0),  # empty answer (the seed raised and paid 0)
        ([{"point_2d": [60, 60]}], 0.0),  # missing key
        ([{"bbox_2d": ["10", 10, 110, 110], "point_2d": [60, 60]}], 0.0),  # non-numeric
        ([{"bbox_2d": [10, 10, 110], "point_2d": [60, 60]}], 0.0),  # ragged
        ([{"bbox_2d": [float("nan"), 10, 110, 110], "point_2d": [60, 60]}], 0.0),  # NaN fails everything here
        (None, 0.0),  # no parseable answer
    ],
)
def test_accuracy_cases(pred, expected):
    gt = [{"bbox_2d": [10, 10, 110, 110], "point_2d": [60, 60]}]
    assert aff.accuracy_score(pred, gt) == pytest.approx(expected)


def test_accuracy_caps_at_max_objects():
    gt = [{"bbox_2d": [0, 0, 10, 10], "point_2d": [5, 5]}]
    pred = gt * 1000
    # 120 predictions considered, one matched with 3: 3 / 120.
    assert aff.accuracy_score(pred, gt) == pytest.approx(3 / aff.MAX_OBJECTS)


@pytest.mark.parametrize(
    "completion, expected",
    [
        (
            '<think>a</think> <rethink>b</rethink> <answer>[{"bbox_2d": [1,2,3,4], "point_2d": [1,2], "affordance": "x"}]</answer>',
            4.0,
        ),
        (
            '<think>a</think><answer>[{"bbox_2d": [1,2,3,4], "point_2d": [1,2], "affordance": "x"}]</answer>',
            3.0,
        ),  # no rethink
        ("<think>a</think> <rethink>b</rethink> <answer>[]</answer>", 1.0),  # empty list
        (
            '<think>a</think> <rethink>b</rethink> <answer>[{"bbox_2d": [1,2,3]}, {"point_2d": [1,2]}]</answer>',
            1.5,
        ),
        (
            '<think>a</think> <rethink>b</rethink> <answer>[{"bbox_2d": [1,2,3,4]}, 7]</answer>',
            1.5,
        ),  # seed stops at 7
        (
            "<think>a</think> <rethink>b</rethink> <answer>[{'bbox_2d': [1,2,3,4]}]</answer>",
            2.0,
        ),  # Python quotes
        ('<think>a</think> <rethink>b</rethink> <answer>{"bbox_2d": [1,2,3,4]}</answer>', 1.0),  # not a list
        ('<think>a</think> <rethink>b</rethink> <answer>[{"bbox_2d": [1,2,3,4</answer>', 1.0),  # malformed
        ("trailing text <think>a</think> <rethink>b</rethink> <answer>[]</answer>", 0.0),  # not a fullmatch
    ],
)
def test_format_score(completion, expected):
    assert aff.format_score(completion) == pytest.approx(expected)


def test_answer_is_bounded():
    items = [{"bbox_2d": [0, 0, 1, 1], "point_2d": [0, 0], "affordance": "x"}] * 2000
    assert aff.answer_items(f"<answer>{json.dumps(items)}</answer>") is None  # over MAX_ANSWER_CHARS


@pytest.mark.parametrize(
    "completion, expected",
    [
        ("One. Two. Three.", 1.0),
        ("One. One. Two.", 1.0),  # one repeat is allowed
        ("One. One. One.", 0.0),  # two repeats
        ("A. B. A. B.", 0.0),
        ("", 1.0),
    ],
)
def test_non_repeat(completion, expected):
    assert aff.non_repeat_score(completion) == expected


def test_to_aff_frame():
    assert aff.to_aff_frame([1, 2, 3, 4], aff.AFF_FRAME) == [1, 2, 3, 4]
    # original 420x210 image: x doubles, y quadruples.
    assert aff.to_aff_frame([10, 10, 20, 20], "original", image_size=(420, 210)) == [20, 40, 40, 80]
    assert aff.to_aff_frame([10, 10], "original", image_size=(420, 210)) == [20, 40]
    # Qwen2.5-VL absolute pixels of a 112x224 (h, w) input of a 448x224 (w, h) image: x * 2, y * 2 to original.
    assert aff.to_aff_frame([0, 0, 112, 56], "qwen2_5_vl_abs", (448, 224), (112, 224)) == [0, 0, 420, 420]
    with pytest.raises(ValueError):
        aff.to_aff_frame([1, 2, 3, 4], "original")


def test_to_image_pixels_rounds_like_the_seed():
    assert aff.to_image_pixels([420, 420, 839, 839], (100, 50)) == [50, 25, 100, 50]


def naive_mask_metrics(inter, union):
    """calculate_iou.py, loop for loop."""
    ious = [i / u if u > 0 else 0 for i, u in zip(inter, union)]
    giou = sum(ious) / len(ious)
    ciou = sum(inter) / sum(union) if sum(union) > 0 else 0
    p50 = sum(1 if v > 0.5 else 0 for v in ious) / len(ious)
    thresholds = [0.5 + 0.05 * k for k in range(10)]
    p5095 = sum(sum(1 if v > t else 0 for v in ious) / len(ious) for t in thresholds) / 10
    return giou, ciou, p50, p5095


def test_mask_metrics_equal_the_seeds_loops():
    rng = np.random.default_rng(0)
    inter, union = [], []
    for _ in range(40):
        gt = rng.random((16, 16)) > 0.6
        pred = rng.random((16, 16)) > 0.5 if rng.random() > 0.2 else gt.copy()
        i, u = aff.mask_intersection_union(pred, gt)
        inter.append(i)
        union.append(u)
    inter.append(0)
    union.append(0)  # an empty prediction of an empty mask: IoU 0 (the seed's)
    got = aff.mask_metrics(inter, union)
    giou, ciou, p50, p5095 = naive_mask_metrics(inter, union)
    assert got["gIoU"] == pytest.approx(giou) and got["cIoU"] == pytest.approx(ciou)
    assert got["P@50"] == pytest.approx(p50) and got["P@50:95"] == pytest.approx(p5095)
    assert got["n"] == 41


def test_mask_shapes_must_agree():
    with pytest.raises(ValueError):
        aff.mask_intersection_union(np.zeros((2, 2)), np.zeros((3, 3)))
