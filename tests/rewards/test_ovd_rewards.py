"""VLM-R1's OVD rewards (rewards/ovd.py): hand-computed tables and VLM-R1's own formulas re-implemented."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from paddlemix.rewards import get_reward
from tests.metrics.test_detection_coco import vlm_r1_calculate_map

FENCE = "```"
GT_ONE = f'<answer> {FENCE}json\n[{{"bbox_2d": [0, 0, 100, 100], "label": "cat"}}]\n{FENCE} </answer>'
GT_NONE = "<answer> None </answer>"
BASE = {"image_size": [200, 200], "coord_frame": "original"}


def answer(*items, think: bool = True) -> str:
    """A VLM-R1 completion listing (box, label) items in a fenced JSON list."""
    body = json.dumps([{"bbox_2d": list(b), "label": label} for b, label in items])
    return ("<think>t</think>" if think else "") + f"<answer>{FENCE}json\n{body}\n{FENCE}</answer>"


def score(name, completion, solution=GT_ONE, **overrides):
    """One reward on one completion."""
    fields = {**BASE, **overrides, "solution": solution}
    return get_reward(name)([completion], **{k: [v] for k, v in fields.items()})[0]


# (completion, solution, od_ap, od_ap50, od_length, det_weighted_sum)
TABLE = [
    # the exact box
    (answer(([0, 0, 100, 100], "cat")), GT_ONE, 1.0, 1.0, 1.0, 1.0),
    # IoU 0.64 (80 x 80 inside 100 x 100): AP50 1, AP = 3 of 10 thresholds (.5, .55, .6); the pixel IoU is 0.64 too
    (answer(([0, 0, 80, 80], "cat")), GT_ONE, 0.3, 1.0, 0.3, 0.7 * 0.64 + 0.3),
    # the wrong label: dropped from AP; weighted_sum matches it but scores its IoU 0
    (answer(([0, 0, 100, 100], "dog")), GT_ONE, 0.0, 0.0, 0.0, 0.3),
    # the exact box then 3 strays: AP unchanged (the published AP rewards pay for surplus guesses),
    # odLength divides by 4, weighted_sum's completeness 1 - (0 + 3/4) / 2
    (
        answer(
            ([0, 0, 100, 100], "cat"),
            ([150, 150, 160, 160], "cat"),
            ([1, 150, 9, 160], "cat"),
            ([120, 0, 130, 9], "dog"),
        ),
        GT_ONE,
        1.0,
        1.0,
        0.25,
        0.7 + 0.3 * (1 - 0.75 / 2),
    ),
    # a stray before the exact box lowers AP: precision 1/2 at recall 1
    (
        answer(([150, 150, 160, 160], "cat"), ([0, 0, 100, 100], "cat")),
        GT_ONE,
        0.5,
        0.5,
        0.25,
        0.7 + 0.3 * 0.75,
    ),
    # negative sample: only "None" earns 1
    ("<think>t</think><answer>None</answer>", GT_NONE, 1.0, 1.0, 1.0, 1.0),
    (answer(([0, 0, 10, 10], "cat")), GT_NONE, 0.0, 0.0, 0.0, 0.0),
    # VLM-R1 gave 1 here (no list on either side); we give 1 only for "None"
    ("<answer>nothing here</answer>", GT_NONE, 0.0, 0.0, 0.0, 0.0),
    # "None" when there is a target
    ("<answer>None</answer>", GT_ONE, 0.0, 0.0, 0.0, 0.0),
    # no <answer>, an unfenced list, truncated JSON, a NaN box, a huge box: 0, never an exception
    ('[{"bbox_2d": [0, 0, 100, 100], "label": "cat"}]', GT_ONE, 0.0, 0.0, 0.0, 0.0),
    ('<answer>[{"bbox_2d": [0, 0, 100, 100], "label": "cat"}]</answer>', GT_ONE, 0.0, 0.0, 0.0, 0.0),
    (f'<answer>{FENCE}json\n[{{"bbox_2d": [0, 0, 1', GT_ONE, 0.0, 0.0, 0.0, 0.0),
    (
        f'<answer>{FENCE}json\n[{{"bbox_2d": [NaN, 0, 100, 100], "label": "cat"}}]\n{FENCE}</answer>',
        GT_ONE,
        0.0,
        0.0,
        0.0,
        0.0,
    ),
    (answer(([0, 0, 1e15, 1e15], "cat")), GT_ONE, 0.0, 0.0, 0.0, 0.0),
    # a malformed item still counts as an answered item for the length penalty
    (
        f'<answer>{FENCE}json\n[{{"bbox_2d": [0, 0, 100, 100], "label": "cat"}}, {{"label": "cat"}}]\n{FENCE}</answer>',
        GT_ONE,
        1.0,
        1.0,
        0.5,
        0.7 + 0.3 * 0.75,
    ),
]


@pytest.mark.parametrize("completion, solution, ap, ap50, length, wsum", TABLE)
def test_ovd_rewards_table(completion, solution, ap, ap50, length, wsum):
    assert score("od_ap", completion, solution) == pytest.approx(ap, abs=1e-9)
    assert score("od_ap50", completion, solution) == pytest.approx(ap50, abs=1e-9)
    assert score("od_length", completion, solution) == pytest.approx(length, abs=1e-9)
    assert score("det_weighted_sum", completion, solution) == pytest.approx(wsum, abs=1e-3)


def test_boxes_are_rescaled_from_the_model_frame():
    # Qwen2.5-VL saw the 200 x 200 image as 112 x 112 (grid 1 x 8 x 8): [0, 0, 56, 56] is [0, 0, 100, 100]
    qwen = {"coord_frame": None, "model_type": "qwen2_5_vl", "image_grid_thw": [1, 8, 8]}
    assert score("od_length", answer(([0, 0, 56, 56], "cat")), **qwen) == pytest.approx(1.0)
    assert score("od_length", answer(([0, 0, 100, 100], "cat")), **qwen) == 0.0


def test_ovd_accuracy_follows_accu_reward_method():
    text = answer(([0, 0, 100, 100], "cat"), ([150, 150, 160, 160], "cat"))
    assert score("ovd_accuracy", text, accu_reward_method="odLength") == pytest.approx(0.5)
    assert score("ovd_accuracy", text, accu_reward_method="od_ap") == pytest.approx(1.0)
    assert score("ovd_accuracy", text) == pytest.approx(0.5)  # default odLength
    assert score("ovd_accuracy", text, accu_reward_method="mcq") is None


# ---- VLM-R1's reward code (grpo_jsonl.py), its logic verbatim ----


def _seed_map_reward(content, sol, length_reward=False, score_type=0):
    pattern = r"```json(.*?)```"
    json_match = re.findall(pattern, sol, re.DOTALL)
    bbox_json = json_match[-1].strip() if json_match else None
    gt_bbox_list = list(json.loads(bbox_json)) if bbox_json else []
    pred_bbox_list = []
    json_match = re.findall(pattern, content, re.DOTALL)
    if json_match:
        try:
            pred_bbox_list = list(json.loads(json_match[-1].strip()))
        except Exception:
            pred_bbox_list = []
    if len(pred_bbox_list) > 0 and len(gt_bbox_list) > 0:
        bbox_reward = max(0.0, vlm_r1_calculate_map(pred_bbox_list, gt_bbox_list, score_type=score_type))
    elif len(pred_bbox_list) == 0 and len(gt_bbox_list) == 0:
        bbox_reward = 1.0
    else:
        bbox_reward = 0.0
    if length_reward:
        gt_length, pred_length = len(gt_bbox_list), len(pred_bbox_list)
        return bbox_reward * (1.0 if gt_length >= pred_length else gt_length / pred_length)
    return bbox_reward


def seed_od_reward(content, sol, score_type=0, length_reward=False):
    """VLM-R1's od_reward / odLength_reward."""
    sol_match = re.search(r"<answer>(.*?)</answer>", sol, re.DOTALL)
    ground_truth = sol_match.group(1).strip() if sol_match else None
    content_match = re.findall(r"<answer>(.*?)</answer>", content, re.DOTALL)
    student_answer = content_match[-1].strip() if content_match else None
    if student_answer is None:
        return 0.0
    if ground_truth == "None" and student_answer == "None":
        return 1.0
    return _seed_map_reward(student_answer, ground_truth, length_reward=length_reward, score_type=score_type)


def _seed_clean_text(text):
    matches = re.findall(r"<answer>(.*?)</answer>", text, re.DOTALL)
    if matches:
        text = matches[-1]
    for char in ["\n", "\r"]:
        text = re.sub(r"(?<=\s)" + re.escape(char), "", text)
        text = re.sub(r"(?<!\s)" + re.escape(char), " ", text)
    return text.strip().rstrip(".").lower()


def _seed_iou(box1, box2):
    inter_x1, inter_y1 = max(box1[0], box2[0]), max(box1[1], box2[1])
    inter_x2, inter_y2 = min(box1[2] - 1, box2[2] - 1), min(box1[3] - 1, box2[3] - 1)
    inter = (
        (inter_x2 - inter_x1 + 1) * (inter_y2 - inter_y1 + 1)
        if inter_x1 < inter_x2 and inter_y1 < inter_y2
        else 0
    )
    union = (box1[2] - box1[0]) * (box1[3] - box1[1]) + (box2[2] - box2[0]) * (box2[3] - box2[1]) - inter
    return float(inter) / union


def seed_detection_score(content, sol, iou_threshold=0.5, alpha=0.7, beta=0.0, gamma=0.3):
    """VLM-R1's detection_score (weighted_sum), with labels always present."""
    pattern = r"```json(.*?)```"
    m = re.search(pattern, _seed_clean_text(content), re.DOTALL)
    try:
        pred_boxes = list(json.loads(m.group(1).strip())) if m else []
    except Exception:
        pred_boxes = []
    m = re.search(pattern, _seed_clean_text(sol), re.DOTALL)
    gt_boxes = list(json.loads(m.group(1).strip())) if m else []
    if len(gt_boxes) == 0:
        return 1.0 if not pred_boxes else 0.0
    if len(pred_boxes) == 0:
        return 0.0
    unmatched_preds, unmatched_gts, matches = list(range(len(pred_boxes))), list(range(len(gt_boxes))), []
    iou_matrix = [[_seed_iou(p["bbox_2d"], g["bbox_2d"]) for g in gt_boxes] for p in pred_boxes]
    while unmatched_preds and unmatched_gts:
        max_iou, max_p, max_g = -1, -1, -1
        for p in unmatched_preds:
            for g in unmatched_gts:
                if iou_matrix[p][g] > max_iou:
                    max_iou, max_p, max_g = iou_matrix[p][g], p, g
        if max_iou < iou_threshold:
            break
        correct = pred_boxes[max_p]["label"].lower() == gt_boxes[max_g]["label"].lower()
        matches.append({"iou": max_iou if correct else 0, "label_correct": correct})
        unmatched_preds.remove(max_p)
        unmatched_gts.remove(max_g)
    position = sum(m["iou"] for m in matches) / len(gt_boxes) if matches else 0.0
    label = sum(1.0 for m in matches if m["label_correct"]) / len(gt_boxes) if matches else 0.0
    completeness = 1.0 - (len(unmatched_gts) / len(gt_boxes) + len(unmatched_preds) / len(pred_boxes)) / 2.0
    return (alpha * position + beta * label + gamma * completeness) / (alpha + beta + gamma)


def random_ovd_case(rng):
    """A ground truth of 1-5 labelled boxes, and an answer of jittered hits, misses, strays and wrong labels."""
    labels = ["person", "red car", "dog"][: rng.integers(1, 4)]
    gt = []
    for _ in range(rng.integers(1, 6)):
        x, y = rng.integers(0, 400, 2)
        w, h = rng.integers(8, 150, 2)
        gt.append({"bbox_2d": [int(x), int(y), int(x + w), int(y + h)], "label": str(rng.choice(labels))})
    pred = []
    for g in gt:
        if rng.random() < 0.8:
            b = np.asarray(g["bbox_2d"]) + rng.integers(-12, 13, 4)
            if b[2] > b[0] and b[3] > b[1]:
                pred.append(
                    {"bbox_2d": [int(v) for v in b], "label": g["label"] if rng.random() < 0.85 else "cat"}
                )
    for _ in range(rng.integers(0, 3)):
        x, y = rng.integers(0, 400, 2)
        pred.append({"bbox_2d": [int(x), int(y), int(x) + 25, int(y) + 25], "label": str(rng.choice(labels))})
    order = rng.permutation(len(pred))
    pred = [pred[i] for i in order]
    completion = f"<think>t</think><answer>{FENCE}json\n{json.dumps(pred)}\n{FENCE}</answer>"
    solution = f"<answer> {FENCE}json\n{json.dumps(gt)}\n{FENCE} </answer>"
    return completion, solution


def test_ovd_rewards_equal_vlm_r1_code():
    rng = np.random.default_rng(0)
    fields = {"coord_frame": "original"}  # VLM-R1 did not rescale: compare in one frame, unclamped
    seen = []
    for _ in range(60):
        completion, solution = random_ovd_case(rng)
        for name, theirs in [
            ("od_ap", seed_od_reward(completion, solution, 0)),
            ("od_ap50", seed_od_reward(completion, solution, 1)),
            ("od_length", seed_od_reward(completion, solution, 0, length_reward=True)),
            ("det_weighted_sum", seed_detection_score(completion, solution)),
        ]:
            ours = get_reward(name)([completion], solution=[solution], **{k: [v] for k, v in fields.items()})[
                0
            ]
            assert ours == pytest.approx(theirs, abs=1e-9), name
            seen.append(ours)
    assert min(seen) < 0.3 and max(seen) > 0.9


def test_ovd_rewards_never_raise_on_garbage():
    garbage = [
        "<answer>" + "[" * 5000 + "</answer>",
        "<answer>```json\n" + "9" * 5000 + "\n```</answer>",
        "\x00",
        "",
    ]
    for name in ("od_ap", "od_ap50", "od_length", "det_weighted_sum"):
        for text in garbage:
            assert score(name, text) == 0.0
