r"""Affordance-R1's answer format, its Hungarian box/point accuracy, and its mask metrics.

A completion is `<think>…</think> <rethink>…</rethink> <answer>[{"bbox_2d": [x1, y1, x2, y2],
"point_2d": [x, y], "affordance": "hold"}, …]</answer>`, boxes and points in pixels of the 840x840 image
the model sees (`AFF_FRAME`). Read from hq-King/Affordance-R1@d040e27 `verl/utils/reward_score/aff_r1.py`
and `evaluation_scripts/calculate_iou.py`:

- format (0..4): 1 if the whole text fullmatches `THREE_STAGE`, plus, for each answer item, 1 for a
  4-list `bbox_2d`, 1 for a 2-list `point_2d`, 1 for an `affordance` key, summed and divided by the count.
- accuracy (0..3): the first `MAX_OBJECTS` predictions and ground-truth objects; per pair,
  IoU (+1 px convention) > 0.65, mean |Δ| of the four coordinates < 10 px, and point distance < 30 px with the
  predicted point inside its own predicted box, 1 each; Hungarian matching on 3 - score (scipy
  `linear_sum_assignment`); the matched sum divided by max(M, N).
- non-repeat (0/1): 0 once two sentences (split on ".") have repeated.
- box count (0/1): as many answer items as ground-truth objects.
- masks: per sample I and U; gIoU = mean(I/U, 0 when U = 0), cIoU = ΣI/ΣU, P@50 = mean(IoU > 0.5),
  P@50:95 = mean over t in np.arange(0.5, 0.96, 0.05) of mean(IoU > t).

Parsing is bounded: the `<answer>` block is read only up to `MAX_ANSWER_CHARS`, with `json.loads` and, for
Python-style quotes, `ast.literal_eval`; never `eval`. Where the seed catches an exception and pays 0 (a
missing key, non-numeric or ragged coordinates, an empty list), so do we, without the exception. NaN or
infinite coordinates fail every comparison, as numpy made them do in the seed.
"""

from __future__ import annotations

import ast
import json
import math
import numbers
import re
from collections.abc import Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from paddlemix.metrics.boxes import to_original_frame

AFF_SIZE = 840  # the seed resizes every image to 840x840; boxes and points are pixels of that image
AFF_FRAME = "fixed840"
MAX_OBJECTS = 120  # the seed's MAX_OBJECTS: items beyond it are not matched
MAX_ANSWER_CHARS = 20_000  # an answer of 120 objects is about 10,000 characters
IOU_THRESHOLD, L1_THRESHOLD, POINT_THRESHOLD = 0.65, 10.0, 30.0
P50_95_THRESHOLDS = np.arange(0.5, 0.96, 0.05)  # the seed's, floating-point steps included

THREE_STAGE = re.compile(r"<think>.*?</think>\s*<rethink>.*?</rethink>\s*<answer>.*?</answer>", re.DOTALL)
_ANSWER = re.compile(r"<answer>\s*(.*?)\s*</answer>", re.DOTALL)


def answer_items(completion: str) -> list | None:
    """The JSON list in the completion's first `<answer>` block, or None (no block, too long, not a list)."""
    match = _ANSWER.search(completion)
    if match is None or len(match.group(1)) > MAX_ANSWER_CHARS:
        return None
    return _load_list(match.group(1))


def solution_items(solution) -> list | None:
    """The ground-truth objects of a solution: a JSON string (the seed's) or an already parsed list."""
    if isinstance(solution, str):
        if len(solution) > MAX_ANSWER_CHARS:
            return None
        match = _ANSWER.search(solution)
        return _load_list(match.group(1) if match else solution.strip())
    return list(solution) if isinstance(solution, (list, tuple)) else None


def _load_list(text: str) -> list | None:
    """A list parsed from JSON or a Python literal, else None."""
    try:
        value = json.loads(text)
    except ValueError:
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return None
    except RecursionError:
        return None
    return value if isinstance(value, list) else None


def _numbers(value, n: int) -> list[float] | None:
    """`value` as n floats (NaN and infinity kept), or None when it is not a list of n real numbers."""
    if not isinstance(value, (list, tuple)) or len(value) != n:
        return None
    if not all(isinstance(v, numbers.Real) for v in value):
        return None
    return [float(v) for v in value]


def item_box(item) -> list[float] | None:
    """An answer item's `bbox_2d` as 4 floats, or None."""
    return _numbers(item.get("bbox_2d"), 4) if isinstance(item, dict) else None


def item_point(item) -> list[float] | None:
    """An answer item's `point_2d` as 2 floats, or None."""
    return _numbers(item.get("point_2d"), 2) if isinstance(item, dict) else None


def format_score(completion: str) -> float:
    """Affordance-R1's format term, 0..4: the three-stage fullmatch plus the mean per-item field score."""
    stages = 1.0 if THREE_STAGE.fullmatch(completion) else 0.0
    items = answer_items(completion)
    if not items:
        return stages
    fields = 0.0
    for item in items:
        if not isinstance(item, dict):
            break  # the seed raised on a non-object item, keeping what the items before it had scored
        # The seed's test is a list of the right length, whatever it holds.
        fields += isinstance(item.get("bbox_2d"), list) and len(item["bbox_2d"]) == 4
        fields += isinstance(item.get("point_2d"), list) and len(item["point_2d"]) == 2
        fields += "affordance" in item
    return stages + fields / len(items)


def boxes_and_points(items: Sequence) -> tuple[np.ndarray, np.ndarray] | None:
    """(boxes (K, 4), points (K, 2)) of the first MAX_OBJECTS items, or None if one lacks either."""
    boxes, points = [], []
    for item in items[:MAX_OBJECTS]:
        box, point = item_box(item), item_point(item)
        if box is None or point is None:
            return None
        boxes.append(box)
        points.append(point)
    return np.asarray(boxes, dtype=float).reshape(-1, 4), np.asarray(points, dtype=float).reshape(-1, 2)


def pair_scores(pred_boxes, pred_points, gt_boxes, gt_points) -> np.ndarray:
    """(M, N) score in {0, 1, 2, 3} of each prediction against each ground-truth object (see module doc)."""
    pred_boxes, gt_boxes = np.asarray(pred_boxes, float), np.asarray(gt_boxes, float)
    pred_points, gt_points = np.asarray(pred_points, float), np.asarray(gt_points, float)
    with np.errstate(all="ignore"):  # NaN, infinity and degenerate boxes just fail the comparisons
        iou = box_iou_matrix(pred_boxes, gt_boxes)
        l1 = np.abs(pred_boxes[:, None, :] - gt_boxes[None, :, :]).mean(axis=2)
        dist = np.sqrt(((pred_points[:, None, :] - gt_points[None, :, :]) ** 2).sum(axis=2))
        inside = (
            (pred_points[:, 0] >= pred_boxes[:, 0])
            & (pred_points[:, 0] <= pred_boxes[:, 2])
            & (pred_points[:, 1] >= pred_boxes[:, 1])
            & (pred_points[:, 1] <= pred_boxes[:, 3])
        )
        return (
            (iou > IOU_THRESHOLD).astype(float)
            + (l1 < L1_THRESHOLD).astype(float)
            + ((dist < POINT_THRESHOLD) & inside[:, None]).astype(float)
        )


def box_iou_matrix(boxes1: np.ndarray, boxes2: np.ndarray) -> np.ndarray:
    """(M, N) IoU with the seed's +1 pixel convention: a box [x1, y1, x2, y2] covers (x2-x1+1)(y2-y1+1)."""
    x1 = np.maximum(boxes1[:, None, 0], boxes2[None, :, 0])
    y1 = np.maximum(boxes1[:, None, 1], boxes2[None, :, 1])
    x2 = np.minimum(boxes1[:, None, 2], boxes2[None, :, 2])
    y2 = np.minimum(boxes1[:, None, 3], boxes2[None, :, 3])
    inter = np.maximum(0, x2 - x1 + 1) * np.maximum(0, y2 - y1 + 1)
    area1 = (boxes1[:, 2] - boxes1[:, 0] + 1) * (boxes1[:, 3] - boxes1[:, 1] + 1)
    area2 = (boxes2[:, 2] - boxes2[:, 0] + 1) * (boxes2[:, 3] - boxes2[:, 1] + 1)
    return inter / (area1[:, None] + area2[None, :] - inter)


def matched_accuracy(scores: np.ndarray) -> float:
    """Hungarian matching on 3 - scores; the matched score sum divided by max(M, N); 0 if either is empty."""
    if scores.size == 0:
        return 0.0  # the seed raised on an empty list and paid 0
    rows, cols = linear_sum_assignment(3.0 - scores)
    return float(scores[rows, cols].sum()) / max(scores.shape)


def accuracy_score(pred_items: Sequence | None, gt_items: Sequence) -> float:
    """Affordance-R1's accuracy term, 0..3, of answer items against ground-truth objects (same frame)."""
    if pred_items is None:
        return 0.0
    pred, gt = boxes_and_points(pred_items), boxes_and_points(gt_items)
    if pred is None or gt is None:
        return 0.0
    return matched_accuracy(pair_scores(pred[0], pred[1], gt[0], gt[1]))


def non_repeat_score(completion: str) -> float:
    """1.0 unless two of the "."-separated sentences are repeats of earlier ones (the seed's rule)."""
    seen: set[str] = set()
    repeats = 0
    for sentence in completion.split("."):
        sentence = sentence.strip()
        if not sentence:
            continue
        if sentence in seen:
            repeats += 1
            if repeats >= 2:
                return 0.0
        seen.add(sentence)
    return 1.0


def box_count_score(pred_items: Sequence | None, gt_items: Sequence) -> float:
    """1.0 when the answer lists as many items as there are ground-truth objects."""
    return float(pred_items is not None and len(pred_items) == len(gt_items))


def to_aff_frame(values: Sequence[float], frame, image_size=None, input_size=None) -> list[float]:
    """A box [x1, y1, x2, y2] or point [x, y] from a model's `frame` into the 840x840 frame.

    `frame` is `AFF_FRAME` (no change) or a `metrics.boxes.CoordFrame` name; `image_size` is the original
    (w, h), `input_size` the model input's (h, w) for Qwen2.5-VL's absolute frame.
    """
    values = [float(v) for v in values]
    if frame == AFF_FRAME or frame is None:
        return values
    if image_size is None:
        raise ValueError(f"coord_frame {frame!r} needs image_size (w, h) to map into the 840 frame")
    box = values if len(values) == 4 else values + values
    x1, y1, x2, y2 = to_original_frame(box, frame, image_size, input_size)
    sx, sy = AFF_SIZE / float(image_size[0]), AFF_SIZE / float(image_size[1])
    out = [x1 * sx, y1 * sy, x2 * sx, y2 * sy]
    return out if len(values) == 4 else out[:2]


def items_to_aff_frame(items: Sequence, frame, image_size=None, input_size=None) -> list:
    """Answer items with their boxes and points mapped into the 840 frame; malformed items kept as they are."""
    if frame == AFF_FRAME or frame is None:
        return list(items)
    out = []
    for item in items:
        box, point = item_box(item), item_point(item)
        if box is None or point is None or not all(math.isfinite(v) for v in box + point):
            out.append(item)
            continue
        out.append(
            {
                **item,
                "bbox_2d": to_aff_frame(box, frame, image_size, input_size),
                "point_2d": to_aff_frame(point, frame, image_size, input_size),
            }
        )
    return out


def to_image_pixels(values: Sequence[float], image_size) -> list[int]:
    """840-frame coordinates to original-image pixels, rounded as the seed's eval does (int(v * f + 0.5))."""
    fx, fy = float(image_size[0]) / AFF_SIZE, float(image_size[1]) / AFF_SIZE
    return [int(v * (fx if i % 2 == 0 else fy) + 0.5) for i, v in enumerate(values)]


def mask_intersection_union(pred_mask: np.ndarray, gt_mask: np.ndarray) -> tuple[int, int]:
    """Pixel counts (intersection, union) of two boolean masks of the same shape."""
    pred_mask, gt_mask = np.asarray(pred_mask, dtype=bool), np.asarray(gt_mask, dtype=bool)
    if pred_mask.shape != gt_mask.shape:
        raise ValueError(f"mask shapes differ: predicted {pred_mask.shape}, ground truth {gt_mask.shape}")
    return int(np.logical_and(pred_mask, gt_mask).sum()), int(np.logical_or(pred_mask, gt_mask).sum())


def mask_metrics(intersections: Sequence[float], unions: Sequence[float]) -> dict[str, float]:
    """gIoU, cIoU, P@50 and P@50:95 (fractions, not x100) over samples' mask intersections and unions."""
    inter, union = np.asarray(intersections, float), np.asarray(unions, float)
    if inter.size == 0:
        return {"gIoU": 0.0, "cIoU": 0.0, "P@50": 0.0, "P@50:95": 0.0, "n": 0}
    ious = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    return {
        "gIoU": float(ious.mean()),
        "cIoU": float(inter.sum() / union.sum()) if union.sum() > 0 else 0.0,
        "P@50": float((ious > 0.5).mean()),
        "P@50:95": float(np.mean([(ious > t).mean() for t in P50_95_THRESHOLDS])),
        "n": int(inter.size),
    }


def to_original(values, frame: str, resized_size, input_size, original_size) -> list[int]:
    """A box or point from the model's frame to original-image pixels, rounded as the seed rounds."""
    values = [float(v) for v in values]
    resize_w, resize_h = resized_size
    if frame == AFF_FRAME:
        in_resized = [v * (resize_w if i % 2 == 0 else resize_h) / AFF_SIZE for i, v in enumerate(values)]
    else:
        box = values if len(values) == 4 else values + values
        mapped = to_original_frame(box, frame, resized_size, input_size)
        in_resized = mapped if len(values) == 4 else mapped[:2]
    fx, fy = original_size[0] / resize_w, original_size[1] / resize_h
    return [int(v * (fx if i % 2 == 0 else fy) + 0.5) for i, v in enumerate(in_resized)]


def read_answer(output: str) -> tuple[list, list]:
    """The answer's (boxes, points); ValueError naming what is wrong (the seed's parse exceptions)."""
    items = answer_items(output)
    if items is None:
        raise ValueError("no parseable JSON list in <answer>")
    boxes, points = [], []
    for i, item in enumerate(items):
        box, point = item_box(item), item_point(item)
        if box is None or point is None or not all(math.isfinite(v) for v in box + point):
            raise ValueError(f"answer item {i} lacks a finite 4-number bbox_2d and 2-number point_2d")
        boxes.append(box)
        points.append(point)
    return boxes, points
