"""Vision-R1's rewards (rewards/detection.py): hand-computed tables and Vision-R1's own formula re-implemented."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from paddlemix.rewards import get_reward

TARGETS = json.dumps({"cat": 1, "dog": 2})
# input == original size (grid 1 x 8 x 8 -> 112 x 112 px), so boxes need no rescale in the hand tables
HAND = {
    "solution": json.dumps([["cat", [[0, 0, 100, 100]]]]),
    "width": 112,
    "height": 112,
    "num_instances": 1,
    "target_id_maps": TARGETS,
    "image_grid_thw": [1, 8, 8],
    "model_type": "qwen2_5_vl",
}


def answer(*items) -> str:
    """Qwen2.5-VL's fenced JSON list of (box, label) items."""
    body = ",\n".join(f'\t{{"bbox_2d": {list(b)}, "label": "{label}"}}' for b, label in items)
    return f"```json\n[\n{body}\n]\n```"


def score(name, completion, **overrides):
    """One reward on one completion with the HAND sample's fields (overridden)."""
    fields = {**HAND, **overrides}
    return get_reward(name)([completion], **{k: [v] for k, v in fields.items()})[0]


# (completion, overrides, precision, recall, dual_format)
TABLE = [
    # the exact box: everything 1
    (answer(([0, 0, 100, 100], "cat")), {}, 1.0, 1.0, 1.0),
    # half the box: IoU = GIoU = 0.5; the TP test at exactly 0.5 gives 0.5 (Vision-R1's modify keeps it)
    (answer(([0, 0, 100, 50], "cat")), {}, 0.5, 0.5, 1.0),
    # a wrong label changes nothing: the class is only a tie-breaker in the cost
    (answer(([0, 0, 100, 50], "dog")), {}, 0.5, 0.5, 1.0),
    # a far box: GIoU < 0 is clamped to 0
    (answer(([101, 101, 111, 111], "cat")), {}, 0.0, 0.0, 1.0),
    # surplus guesses after the exact one: Vision-R1's precision and recall do not penalise them
    (answer(([0, 0, 100, 100], "cat"), ([50, 50, 60, 60], "cat"), ([1, 1, 9, 9], "dog")), {}, 1.0, 1.0, 1.0),
    # ... unless penalize_surplus (ours, off by default): 1 matched of 3
    (
        answer(([0, 0, 100, 100], "cat"), ([50, 50, 60, 60], "cat"), ([1, 1, 9, 9], "dog")),
        {"penalize_surplus": True},
        1 / 3,
        1.0,
        1.0,
    ),
    # adaptive, early stage: precision (0.5, 0.75) keeps 0.5; recall value (0.5, 0.75) keeps 0.5
    (answer(([0, 0, 100, 50], "cat")), {"adaptive": True, "global_step": 10}, 0.5, 0.5, 1.0),
    # adaptive, late stage: precision (0.75, 0.9) -> 0; TP test at 0.75 -> 0
    (answer(([0, 0, 100, 50], "cat")), {"adaptive": True, "global_step": 1500}, 0.0, 0.0, 1.0),
    # adaptive, late stage, GIoU 0.95 > 0.9: precision 1, TP 1
    (answer(([0, 0, 100, 95], "cat")), {"adaptive": True, "global_step": 2000}, 1.0, 1.0, 1.0),
    # a configurable switch step
    (
        answer(([0, 0, 100, 50], "cat")),
        {"adaptive": True, "global_step": 10, "switch_step": 5},
        0.0,
        0.0,
        1.0,
    ),
    # two instances, one found: recall 1/2, precision over the one pair
    (
        answer(([0, 0, 100, 100], "cat")),
        {
            "solution": json.dumps([["cat", [0, 0, 100, 100]], ["dog", [0, 0, 10, 10]]]),
            "num_instances": 2,
        },
        1.0,
        0.5,
        1.0,
    ),
    # Qwen2.5-VL pixels of a resized input: grid 8 x 8 (112 px) for a 224 x 224 image, so x2 = 50 -> 100
    (answer(([0, 0, 50, 50], "cat")), {"width": 224, "height": 224}, 1.0, 1.0, 1.0),
    # empty answer, prose, truncated JSON, NaN, huge and reversed boxes: 0, never an exception
    ("", {}, 0.0, 0.0, 0.0),
    ("I see a cat.", {}, 0.0, 0.0, 0.0),
    ('```json\n[{"bbox_2d": [0, 0, 100', {}, 0.0, 0.0, 0.0),
    ('[{"bbox_2d": [NaN, 0, 100, 100], "label": "cat"}]', {}, 0.0, 0.0, 0.0),
    (answer(([0, 0, 10**12, 10**12], "cat")), {}, 0.0, 0.0, 1.0),
    (answer(([100, 100, 0, 0], "cat")), {}, 0.0, 0.0, 1.0),
    # an empty list is well-formed but finds nothing
    ("```json\n[]\n```", {}, 0.0, 0.0, 1.0),
    # Vision-R1's dual format passed any JSON; ours wants a list of detections
    ("5", {}, 0.0, 0.0, 0.0),
    ("5", {"strict": False}, 0.0, 0.0, 1.0),
    # no instance and no box: full marks; dual format is reversed (Vision-R1's 1 - r)
    ("no objects", {"solution": "[]", "num_instances": 0}, 1.0, 1.0, 1.0),
]


@pytest.mark.parametrize("completion, overrides, precision, recall, fmt", TABLE)
def test_vision_r1_rewards_table(completion, overrides, precision, recall, fmt):
    assert score("vision_r1_precision", completion, **overrides) == pytest.approx(precision)
    assert score("vision_r1_recall", completion, **overrides) == pytest.approx(recall)
    assert score("vision_r1_dual_format", completion, **overrides) == pytest.approx(fmt)


# ---- Vision-R1's reward code (visionr1_qwen.py), its logic verbatim with numpy in place of torch ----


def _seed_parse_json(json_output):
    try:
        lines = json_output.strip().splitlines()
        if lines[0].startswith("```json"):
            json_output = "\n".join(lines[1:])
        if "```" in json_output:
            json_output = json_output.split("```")[0]
        return json.loads(json_output)
    except Exception:
        return None


def _seed_extract(completion):
    output = []
    extracted = _seed_parse_json(completion)
    if isinstance(extracted, list):
        for item in extracted:
            try:
                category_name, bbox = item.get("label"), item.get("bbox_2d")
                if isinstance(bbox, list) and len(bbox) == 4:
                    bbox = [int(coord) for coord in bbox]
                    if bbox[0] < bbox[2] and bbox[1] < bbox[3]:
                        output.append({"bbox": bbox, "category_name": category_name})
            except Exception:
                continue
    if not output:
        pattern = re.compile(
            r'\{"bbox_2d": \[(\d{1,3}|1000), (\d{1,3}|1000), (\d{1,3}|1000), (\d{1,3}|1000)\], "label": "([^"]+)"\}'
        )
        for x1, y1, x2, y2, label in pattern.findall(completion):
            bbox = [int(x1), int(y1), int(x2), int(y2)]
            if bbox[0] < bbox[2] and bbox[1] < bbox[3]:
                output.append({"bbox": bbox, "category_name": label})
    return output


def _seed_giou(b1, b2):
    area1 = (b1[:, 2] - b1[:, 0]) * (b1[:, 3] - b1[:, 1])
    area2 = (b2[:, 2] - b2[:, 0]) * (b2[:, 3] - b2[:, 1])
    lt = np.maximum(b1[:, None, :2], b2[:, :2])
    rb = np.minimum(b1[:, None, 2:], b2[:, 2:])
    wh = np.clip(rb - lt, 0, None)
    inter = wh[:, :, 0] * wh[:, :, 1]
    union = area1[:, None] + area2 - inter
    iou = inter / union
    lt = np.minimum(b1[:, None, :2], b2[:, :2])
    rb = np.maximum(b1[:, None, 2:], b2[:, 2:])
    wh = np.clip(rb - lt, 0, None)
    area = wh[:, :, 0] * wh[:, :, 1]
    return iou - (area - union) / area


def _seed_modify(values, minimal, maximum):
    v = np.array(values, dtype=np.float32)
    v[v < minimal] = 0
    v[v > maximum] = 1
    return v


def seed_precision_recall(
    completion, solution, width, height, target_id_map, num_instance, in_h, in_w, step=None
):
    """Vision-R1's precision_reward and recall_reward for one completion."""
    if step is not None:
        p_lo, p_hi = (0.5, 0.75) if step < 1500 else (0.75, 0.9)
        r_lo, r_hi = 0.5, 0.75
    else:
        p_lo, p_hi, r_lo, r_hi = 0, 1, 0, 1
    t = 0.5 if step is None or step < 1500 else 0.75
    target_id_map = {k.lower(): v for k, v in json.loads(target_id_map).items()}
    dt = _seed_extract(completion.strip())
    if not dt:
        return (0.0, 0.0) if num_instance > 0 else (1.0, 1.0)
    classes, boxes = [], []
    for item in dt:
        try:
            classes.append(target_id_map[item["category_name"].strip().lower()])
        except Exception:
            classes.append(0)
        b = np.array(item["bbox"], dtype=np.float32).reshape(-1, 4)
        b[:, ::2] = b[:, ::2] / in_w * width
        b[:, 1::2] = b[:, 1::2] / in_h * height
        boxes.append(b)
    boxes = np.concatenate(boxes)
    logits = np.zeros((len(boxes), max(target_id_map.values()) + 1), dtype=np.float32)
    logits[np.arange(len(boxes)), classes] = 1.0
    gt_cls, gt_boxes = [], []
    for name, bbox in json.loads(solution):
        gt_cls.append(int(target_id_map[name.lower()]))
        gt_boxes.append(np.array(bbox, dtype=np.float32).reshape(-1, 4))
    gt_boxes = np.concatenate(gt_boxes)
    cost_giou = -_seed_giou(boxes, gt_boxes)
    cost = np.abs(boxes[:, None, :] - gt_boxes[None, :, :]).sum(-1) - logits[:, gt_cls] + cost_giou
    rows, cols = linear_sum_assignment(cost)
    giou = -cost_giou[rows, cols]
    precision = float(np.mean(_seed_modify(giou, p_lo, p_hi)))
    tp = float(_seed_modify(giou, t, t).sum())
    recall = float(_seed_modify([tp / num_instance], r_lo, r_hi)[0])
    return precision, recall


def random_sample(rng):
    """A Vision-R1 sample on a 640 x 480 image seen as 448 x 336, and a completion in the input frame."""
    width, height, in_w, in_h = 640, 480, 448, 336
    names = ["cat", "dog", "car"]
    gt = []
    for _ in range(rng.integers(1, 6)):
        x, y = rng.uniform(0, 500), rng.uniform(0, 380)
        w, h = rng.uniform(10, 130), rng.uniform(10, 95)
        gt.append([str(rng.choice(names)), [round(x, 1), round(y, 1), round(x + w, 1), round(y + h, 1)]])
    items = []
    for name, box in gt:
        if rng.random() < 0.8:
            b = np.asarray(box) * [in_w / width, in_h / height, in_w / width, in_h / height]
            b = np.clip(b + rng.normal(0, rng.choice([1, 4, 12]), 4), 0, [in_w, in_h, in_w, in_h])
            label = name if rng.random() < 0.8 else str(rng.choice(["bird", "dog", "Cat "]))
            items.append(([int(v) for v in b], label))
    for _ in range(rng.integers(0, 3)):
        x, y = rng.integers(0, 400), rng.integers(0, 300)
        items.append(([int(x), int(y), int(x) + 30, int(y) + 20], str(rng.choice(names))))
    order = rng.permutation(len(items))
    completion = answer(*[items[i] for i in order]) if items else "none"
    fields = {
        "solution": json.dumps(gt),
        "width": width,
        "height": height,
        "num_instances": len(gt),
        "target_id_maps": json.dumps({"cat": 1, "dog": 2, "car": 3}),
        "image_grid_thw": [1, in_h // 14, in_w // 14],
        "model_type": "qwen2_5_vl",
    }
    return completion, fields


@pytest.mark.parametrize("step", [None, 100, 3000])
def test_vision_r1_rewards_equal_vision_r1_code(step):
    rng = np.random.default_rng(0 if step is None else step)
    precisions = []
    for _ in range(60):
        completion, fields = random_sample(rng)
        extra = {} if step is None else {"adaptive": True, "global_step": step}
        ours = (
            score("vision_r1_precision", completion, **fields, **extra),
            score("vision_r1_recall", completion, **fields, **extra),
        )
        theirs = seed_precision_recall(
            completion,
            fields["solution"],
            fields["width"],
            fields["height"],
            fields["target_id_maps"],
            fields["num_instances"],
            336,
            448,
            step,
        )
        assert ours == pytest.approx(theirs, abs=1e-5)
        precisions.append(ours[0])
    assert min(precisions) < 0.5 < max(precisions)


def test_adaptive_rewards_follow_the_training_step():
    # GIoU 0.5: kept at 0.5 before step 1500, thresholded to 0 from it (precision (0.75, 0.9), TP at 0.75)
    half = answer(([0, 0, 100, 50], "cat"))
    assert score("vision_r1_precision_adaptive", half, global_step=1499) == pytest.approx(0.5)
    assert score("vision_r1_precision_adaptive", half, global_step=1500) == 0.0
    assert score("vision_r1_recall_adaptive", half, global_step=1499) == pytest.approx(0.5)
    assert score("vision_r1_recall_adaptive", half, global_step=1500) == 0.0
    # without a step (outside training) the released rule applies
    assert score("vision_r1_precision_adaptive", half) == pytest.approx(0.5)


def test_vision_r1_rewards_never_raise_on_garbage():
    garbage = [
        "[" * 5000,
        '{"bbox_2d": [1, 2, 3, 4]}',
        "```json\n" + "x" * 100000,
        "[[1,2,3,4]]",
        "null",
        "\x00",
    ]
    for name in ("vision_r1_precision", "vision_r1_recall", "vision_r1_dual_format"):
        for text in garbage:
            assert score(name, text) == 0.0
