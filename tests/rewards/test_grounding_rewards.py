"""Perception-R1's grounding and counting-by-boxes rewards (rewards/grounding.py): tables and PR1's formula."""

from __future__ import annotations

import ast
import re

import numpy as np
import pytest

from paddlemix.rewards import get_reward

REF = "<|object_ref_start|>the cat<|object_ref_end|>"
# PR1's data: Qwen2-VL answers and ground truth both in the 0-1000 frame
PR1 = {"model_type": "qwen2_vl", "solution_frame": "qwen2_vl_norm1000", "image_size": [640, 480]}


def qwen2(box) -> str:
    """Qwen2-VL's grounding answer for a 0-1000 box."""
    x1, y1, x2, y2 = box
    return f"{REF}<|box_start|>({x1},{y1}),({x2},{y2})<|box_end|><|im_end|>"


def score(name, completion, **fields):
    """One reward on one completion."""
    return get_reward(name)([completion], **{k: [v] for k, v in fields.items()})[0]


IOU_CASES = [
    # the exact box
    (qwen2((100, 100, 500, 500)), "[100, 100, 500, 500]", 1.0),
    # half the box: IoU 0.5 -> 0.25
    (qwen2((100, 100, 500, 300)), "[100, 100, 500, 500]", 0.25),
    # special tokens stripped by decoding: the bare point pair
    ("the cat(100,100),(500,300)", "[100, 100, 500, 500]", 0.25),
    # a bracketed box (Qwen2.5-VL style), and PR1's <|endoftext|>
    ("[100, 100, 500, 500]<|endoftext|>", "[100, 100, 500, 500]", 1.0),
    # two different boxes: a hedge scores 0 (PR1 took the first)
    (qwen2((100, 100, 500, 500)) + qwen2((0, 0, 10, 10)), "[100, 100, 500, 500]", 0.0),
    # the same box twice is one box
    (qwen2((100, 100, 500, 500)) + qwen2((100, 100, 500, 500)), "[100, 100, 500, 500]", 1.0),
    # malformed, reversed, zero-area, huge, negative-out-of-image: 0, never an exception (PR1 divided by 0)
    ("<|box_start|>(1,2)<|box_end|>", "[100, 100, 500, 500]", 0.0),
    (qwen2((500, 500, 100, 100)), "[100, 100, 500, 500]", 0.0),
    (qwen2((5, 5, 5, 5)), "[5, 5, 5, 5]", 0.0),
    (qwen2((0, 0, 10**13, 10**13)), "[100, 100, 500, 500]", 0.0),
    (qwen2((-900, -900, -100, -100)), "[100, 100, 500, 500]", 0.0),
    ("", "[100, 100, 500, 500]", 0.0),
]


@pytest.mark.parametrize("completion, solution, expected", IOU_CASES)
def test_iou_squared_table(completion, solution, expected):
    assert score("iou_squared", completion, solution=solution, **PR1) == pytest.approx(expected)


def test_iou_squared_maps_both_frames_to_original_pixels():
    # ground truth in original pixels of a 640 x 480 image; the answer in 0-1000: x * 0.64, y * 0.48
    fields = {"model_type": "qwen2_vl", "image_size": [640, 480], "solution": [64, 48, 320, 240]}
    assert score("iou_squared", qwen2((100, 100, 500, 500)), **fields) == pytest.approx(1.0)
    # Qwen2.5-VL: absolute pixels of a 28 x 56 (h, w) input for a 560 x 280 image
    fields = {
        "model_type": "qwen2_5_vl",
        "image_size": [560, 280],
        "image_grid_thw": [1, 2, 4],
        "solution": [0, 0, 280, 140],
    }
    assert score("iou_squared", "[0, 0, 28, 14]", **fields) == pytest.approx(1.0)


def pr1_grounding_reward(content, sol):
    """PR1's grounding_reward (src/open_r1/rewards.py), its logic verbatim (ast for its eval)."""
    content = content.replace("<|endoftext|>", "")
    patterns = [
        r"\[\s*(-?\d+(?:\.\d+)?),\s*(-?\d+(?:\.\d+)?),\s*(-?\d+(?:\.\d+)?),\s*(-?\d+(?:\.\d+)?)\s*\]",
        r"\(\s*(-?\d+(?:\.\d+)?),\s*(-?\d+(?:\.\d+)?),\s*(-?\d+(?:\.\d+)?),\s*(-?\d+(?:\.\d+)?)\s*\)",
        r"\(\s*(-?\d+(?:\.\d+)?),\s*(-?\d+(?:\.\d+)?)\),\s*\(\s*(-?\d+(?:\.\d+)?),\s*(-?\d+(?:\.\d+)?)\)",
    ]
    bbox = [0, 0, 0, 0]
    for pattern in patterns:
        match = re.search(pattern, content)
        if match:
            bbox = [float(match.group(i)) for i in range(1, 5)]
            break
    if "<|box_start|>" not in content:
        bbox = [int(x * 1000) for x in bbox]
    box2 = ast.literal_eval(sol)
    x_left, y_top = max(bbox[0], box2[0]), max(bbox[1], box2[1])
    x_right, y_bottom = min(bbox[2], box2[2]), min(bbox[3], box2[3])
    inter = max(0, x_right - x_left) * max(0, y_bottom - y_top)
    union = (bbox[2] - bbox[0]) * (bbox[3] - bbox[1]) + (box2[2] - box2[0]) * (box2[3] - box2[1]) - inter
    return (inter / union) ** 2


def test_iou_squared_equals_pr1_on_qwen2_answers():
    rng = np.random.default_rng(0)
    values = []
    for _ in range(200):
        x = np.sort(rng.integers(0, 1001, 2))
        y = np.sort(rng.integers(0, 1001, 2))
        if x[1] - x[0] < 5 or y[1] - y[0] < 5:
            continue
        gt = [int(x[0]), int(y[0]), int(x[1]), int(y[1])]
        pred = np.clip(np.asarray(gt) + rng.integers(-80, 81, 4), 0, 1000)
        if pred[2] <= pred[0] or pred[3] <= pred[1]:
            continue
        text, sol = qwen2(tuple(int(v) for v in pred)), str(gt)
        ours = score("iou_squared", text, solution=sol, **PR1)
        assert ours == pytest.approx(pr1_grounding_reward(text, sol), abs=1e-9)
        values.append(ours)
    assert min(values) < 0.3 and max(values) > 0.8


PR1_FORMAT_VERBATIM = re.compile(
    r"^<|object_ref_start|>.*?<|object_ref_end|><|box_start|>.*?<|box_end|><|im_end|>"
)

# (completion, ours, PR1's unescaped regex)
FORMAT_CASES = [
    # the intended form
    (qwen2((1, 2, 3, 4)), 1.0, 1.0),
    # without the trailing <|im_end|> (our decoding may stop before it)
    (f"{REF}<|box_start|>(1,2),(3,4)<|box_end|>", 1.0, 1.0),
    # PR1's regex accepts anything that starts with "<"
    ("<html>no box at all", 0.0, 1.0),
    # ... or with one of the token names as bare words
    ("box_start whatever", 0.0, 1.0),
    # a box with no object ref
    ("<|box_start|>(1,2),(3,4)<|box_end|>", 0.0, 1.0),
    # a ref with no box
    (f"{REF} is somewhere", 0.0, 1.0),
    # not a point pair inside the box tokens
    (f"{REF}<|box_start|>top left<|box_end|>", 0.0, 1.0),
    # plain prose fails both
    ("The cat is at the top.", 0.0, 0.0),
    # decoded with the special tokens dropped: the object text then one point pair
    ("the cat(1,2),(3,4)", 1.0, 0.0),
    ("the cat(1,2),(3,4) and more", 0.0, 0.0),
    ("(1,2),(3,4)", 0.0, 0.0),
]


@pytest.mark.parametrize("completion, ours, pr1", FORMAT_CASES)
def test_pr1_grounding_format(completion, ours, pr1):
    assert score("pr1_grounding_format", completion) == ours
    assert float(bool(PR1_FORMAT_VERBATIM.match(completion.replace("<|endoftext|>", "")))) == pr1


BOXES3 = "".join(qwen2(b) for b in [(1, 1, 5, 5), (6, 6, 9, 9), (20, 20, 30, 30)])
COUNT_CASES = [
    # three boxes for a count of 3 (PR1 counting jsonl's ground_truth)
    (BOXES3, {"ground_truth": 3}, 1.0),
    # the count from a solution string
    (BOXES3, {"solution": "<answer> 3 </answer>"}, 1.0),
    # one box too many earns nothing: spraying does not pay
    (BOXES3 + qwen2((40, 40, 50, 50)), {"ground_truth": 3}, 0.0),
    # repeating a box to reach the count does not work
    (qwen2((1, 1, 5, 5)) * 3, {"ground_truth": 3}, 0.0),
    # zero boxes for a count of 0 is right (PR1's None never matched 0)
    ("There is no cat.", {"ground_truth": 0}, 1.0),
    # Qwen2.5-VL JSON boxes count too
    (
        '[{"bbox_2d": [1, 1, 5, 5], "label": "a"}, {"bbox_2d": [6, 6, 9, 9], "label": "a"}]',
        {"ground_truth": 2},
        1.0,
    ),
    # malformed boxes do not count
    ("<|box_start|>(1,1)<|box_end|><|box_start|>(9,9),(1,1)<|box_end|>", {"ground_truth": 2}, 0.0),
]


@pytest.mark.parametrize("completion, fields, expected", COUNT_CASES)
def test_box_count(completion, fields, expected):
    assert score("box_count", completion, **fields) == expected
