"""The affordance reward terms against a transcription of the seed's aff_r1.py, on many generated completions.

`seed_*` below restate hq-King/Affordance-R1 `verl/utils/reward_score/aff_r1.py` (format, accuracy,
non-repeat, box count) with its try/except behaviour. The generated answers avoid the documented
differences: Python-quoted answers (we parse them), non-list answers, string items, and answers over
MAX_ANSWER_CHARS. The recognition term is ours by design (per item) and is not compared.
"""

from __future__ import annotations

import json
import random
import re

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from paddlemix.rewards import get_reward

_ANSWER = re.compile(r"<answer>\s*(.*?)\s*</answer>", re.DOTALL)


def seed_format(s: str) -> float:
    stages = (
        1.0
        if re.fullmatch(r"<think>.*?</think>\s*<rethink>.*?</rethink>\s*<answer>.*?</answer>", s, re.DOTALL)
        else 0.0
    )
    fields = 0.0
    try:
        m = _ANSWER.search(s)
        if m:
            data = json.loads(m.group(1))
            for item in data:
                cur = 0.0
                if "bbox_2d" in item and isinstance(item["bbox_2d"], list) and len(item["bbox_2d"]) == 4:
                    cur += 1.0
                if "point_2d" in item and isinstance(item["point_2d"], list) and len(item["point_2d"]) == 2:
                    cur += 1.0
                if "affordance" in item:
                    cur += 1.0
                fields += cur / len(data)
    except Exception:
        pass
    return stages + fields


def seed_accuracy(s: str, gt: str) -> float:
    try:
        gt_data = json.loads(gt)
        gb = np.array([i["bbox_2d"] for i in gt_data])[:120]
        gp = np.array([i["point_2d"] for i in gt_data])[:120]
        m = _ANSWER.search(s)
        if not m:
            return 0.0
        data = json.loads(m.group(1))
        pb = np.array([i["bbox_2d"] for i in data])[:120]
        pp = np.array([i["point_2d"] for i in data])[:120]
        with np.errstate(all="ignore"):
            x11, y11, x12, y12 = np.split(pb, 4, axis=1)
            x21, y21, x22, y22 = np.split(gb, 4, axis=1)
            inter = np.maximum(0, np.minimum(x12, x22.T) - np.maximum(x11, x21.T) + 1) * np.maximum(
                0, np.minimum(y12, y22.T) - np.maximum(y11, y21.T) + 1
            )
            iou = inter / ((x12 - x11 + 1) * (y12 - y11 + 1) + ((x22 - x21 + 1) * (y22 - y21 + 1)).T - inter)
            l1 = np.mean(np.abs(pb[:, None, :] - gb[None, :, :]), axis=2)
            dist = np.sqrt(np.sum((pp[:, None, :] - gp[None, :, :]) ** 2, axis=2))
            inside = (
                (pp[:, 0] >= pb[:, 0])
                & (pp[:, 0] <= pb[:, 2])
                & (pp[:, 1] >= pb[:, 1])
                & (pp[:, 1] <= pb[:, 3])
            )
            cost = 3.0 - (
                (iou > 0.65).astype(float)
                + (l1 < 10).astype(float)
                + ((dist < 30) & inside[:, None]).astype(float)
            )
        r, c = linear_sum_assignment(cost)
        return (len(r) * 3.0 - cost[r, c].sum()) / max(len(pb), len(gb))
    except Exception:
        return 0.0


def seed_non_repeat(s: str) -> float:
    seen, repeats = set(), 0
    for sentence in [x.strip() for x in s.split(".") if x.strip()]:
        if sentence in seen:
            repeats += 1
        if repeats >= 2:
            return 0.0
        seen.add(sentence)
    return 1.0


def seed_box_num(s: str, gt: str) -> float:
    try:
        m = _ANSWER.search(s)
        if m and len(json.loads(m.group(1))) == len(json.loads(gt)):
            return 1.0
    except Exception:
        pass
    return 0.0


def random_item(rng: random.Random, gt: list) -> dict:
    """An answer item: near a ground-truth object, random, or damaged (missing key, NaN, ragged)."""
    base = rng.choice(gt)
    box = (
        [v + rng.randint(-15, 15) for v in base["bbox_2d"]]
        if rng.random() < 0.7
        else [rng.randint(0, 800) for _ in range(4)]
    )
    point = [v + rng.randint(-40, 40) for v in base["point_2d"]]
    item = {"bbox_2d": box, "point_2d": point, "affordance": rng.choice(["hold", "cut", "grasp"])}
    damage = rng.random()
    if damage < 0.05:
        del item["point_2d"]
    elif damage < 0.1:
        del item["affordance"]
    elif damage < 0.13:
        item["bbox_2d"] = box[:3]
    elif damage < 0.16:
        item["point_2d"] = [float("nan"), point[1]]
    return item


def random_completion(rng: random.Random, gt: list) -> str:
    """A completion in or out of the three-stage format, with a generated answer."""
    items = [random_item(rng, gt) for _ in range(rng.randint(0, 4))]
    answer = json.dumps(items)
    if rng.random() < 0.1:
        answer = answer[: rng.randint(0, len(answer))]  # cut short: malformed JSON
    think = rng.choice(["Look at it.", "A. A. A.", "Handle. Handle.", "x"])
    forms = [
        f"<think>{think}</think> <rethink>ok.</rethink> <answer>{answer}</answer>",
        f"<think>{think}</think><answer>{answer}</answer>",
        f"<answer>{answer}</answer>",
        f"<think>{think}</think> <rethink>b</rethink> <answer>{answer}</answer> trailing",
    ]
    return rng.choice(forms)


@pytest.mark.parametrize("seed", range(5))
def test_terms_equal_the_seed_on_generated_completions(seed):
    rng = random.Random(seed)
    for _ in range(60):
        gt = []
        for _ in range(rng.randint(1, 3)):
            x, y = rng.randint(0, 700), rng.randint(0, 700)
            box = [x, y, x + rng.randint(20, 120), y + rng.randint(20, 120)]
            gt.append({"bbox_2d": box, "point_2d": [(box[0] + box[2]) // 2, (box[1] + box[3]) // 2]})
        solution = json.dumps(gt)
        completion = random_completion(rng, gt)
        columns = {"solution": [solution]}
        assert get_reward("aff_format")([completion], **columns)[0] == pytest.approx(seed_format(completion))
        assert get_reward("aff_accuracy")([completion], **columns)[0] == pytest.approx(
            seed_accuracy(completion, solution)
        )
        assert get_reward("aff_non_repeat")([completion], **columns)[0] == seed_non_repeat(completion)
        assert get_reward("aff_box_num")([completion], **columns)[0] == seed_box_num(completion, solution)
