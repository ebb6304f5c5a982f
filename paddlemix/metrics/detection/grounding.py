r"""Grounding and counting-by-boxes metrics: Perception-R1's, on boxes in one frame.

Grounding (PR1 eval/evaluate_grounding.py), per sample then averaged: IoU; ACC@t = IoU >= t for
t in ACC_THRESHOLDS; Center_ACC = the predicted box's centre lies in the ground-truth box (edges included).
A sample without a predicted box scores IoU 0 and misses every accuracy. PR1 adds 1e-10 to the IoU's
denominator; ours returns 0 for an empty union instead, the same number for every real box.

Counting by boxes (PR1 evaluate_counting.py): the count is the number of boxes the answer gives, compared
with the integer ground truth. `count_boxes` counts distinct valid boxes in either Qwen form: PR1 counted
every `<|box_start|>...<|box_end|>` span that evaluates to a point pair, duplicates included, and scored an
answer with no box as `None`, which never equals 0 (`pr1_count` keeps that rule, for `--metric pr1`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence

from paddlemix.metrics.boxes import box_iou
from paddlemix.metrics.detection.parse import MAX_CHARS, parse_json_detections, parse_qwen2_boxes

ACC_THRESHOLDS = (0.1, 0.3, 0.5, 0.75, 0.95)
GROUNDING_METRICS = ("IoU", *(f"ACC@{t}" for t in ACC_THRESHOLDS), "Center_ACC")

_PR1_BOX_SPAN = re.compile(r"<\|box_start\|>(.*?)<\|box_end\|>")
_MAX_SPAN_CHARS = 200  # a point pair is ~20 characters; literal_eval of more is wasted work


def center_in(pred: Sequence[float], gt: Sequence[float]) -> bool:
    """Whether the centre of `pred` lies inside `gt`, edges included (PR1's Center_ACC)."""
    cx, cy = (pred[0] + pred[2]) / 2, (pred[1] + pred[3]) / 2
    return gt[0] <= cx <= gt[2] and gt[1] <= cy <= gt[3]


def grounding_scores(pred: Sequence[float] | None, gt: Sequence[float]) -> dict[str, float]:
    """One sample's GROUNDING_METRICS as 0/1 floats (IoU in [0, 1]); all 0 without a predicted box."""
    value = box_iou(pred, gt) if pred is not None else 0.0
    scores = {"IoU": value}
    scores.update({f"ACC@{t}": float(value >= t) for t in ACC_THRESHOLDS})
    scores["Center_ACC"] = float(pred is not None and center_in(pred, gt))
    return scores


def grounding_summary(per_sample: Sequence[dict[str, float]]) -> dict[str, float]:
    """Each metric's mean over samples, in percent rounded to 2 decimals as PR1 prints them."""
    n = max(len(per_sample), 1)
    return {k: round(sum(s[k] for s in per_sample) / n * 100, 2) for k in GROUNDING_METRICS}


def answer_boxes(text: str) -> list:
    """The valid boxes an answer gives: Qwen2-VL point pairs if any, else a Qwen2.5-VL JSON list."""
    items = parse_qwen2_boxes(text)
    if not items:
        items, _ = parse_json_detections(text)
    return [d.box for d in items or [] if d.box is not None]


def count_boxes(text: str) -> int:
    """How many distinct valid boxes the answer gives (0 when it gives none)."""
    return len(set(answer_boxes(text)))


def pr1_count(text: str) -> int | None:
    """PR1's count: `<|box_start|>` spans that literal-evaluate to ((x1, y1), (x2, y2)); None if there are none."""
    count = 0
    for span in _PR1_BOX_SPAN.findall(text[:MAX_CHARS]):
        if len(span) > _MAX_SPAN_CHARS:
            continue
        try:
            value = ast.literal_eval(span)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
        if _is_point_pair(value):
            count += 1
    return count or None


def _is_point_pair(value) -> bool:
    """Whether `value` is ((x1, y1), (x2, y2)) of numbers."""
    return (
        isinstance(value, tuple)
        and len(value) == 2
        and all(
            isinstance(p, tuple) and len(p) == 2 and all(isinstance(v, (int, float)) for v in p)
            for p in value
        )
    )
