"""Vision-R1's criterion-driven detection scores: precision and recall over a Hungarian matching.

Source: jefferyZhan/Griffon Vision-R1/vision_r1/visionr1_qwen.py (`precision_reward`, `recall_reward`).
With `modify(t, lo, hi)` = 0 if t < lo, 1 if t > hi, else t, and the GIoU of each matched pair
(`matching.vision_r1_match`):

    precision = mean over matched pairs of modify(GIoU, *rule.precision)
    recall    = modify(sum over matched pairs of modify(GIoU, *rule.tp) / num_instances, *rule.recall)

An answer with no valid box scores 0 (1 when the sample has no instance). The rule depends on the training
step only under progressive rule refinement (`adaptive`, off in Vision-R1's released script):

| rule               | adaptive off | adaptive, step < switch | adaptive, step >= switch |
|--------------------|--------------|-------------------------|--------------------------|
| precision per pair | (0, 1)       | (0.5, 0.75)             | (0.75, 0.9)              |
| TP test on GIoU    | (0.5, 0.5)   | (0.5, 0.5)              | (0.75, 0.75)             |
| recall value       | (0, 1)       | (0.5, 0.75)             | (0.5, 0.75)              |

Surplus boxes: the matching takes min(N, M) pairs and ignores the rest, so a longer list of guesses can only
find better matches. That is Vision-R1's published definition of both rewards; `penalize_surplus=True`
(not Vision-R1's) divides precision by the number of predicted boxes instead, counting unmatched ones as 0.

Differences from Vision-R1: boxes are clamped to the image after rescaling (Vision-R1 did not clamp); a
ground-truth entry listing several boxes gives each its class (Vision-R1 crashed on it); a sample with no
instance but predicted boxes scores 0 (Vision-R1 crashed).
"""

from __future__ import annotations

import json
import math
import numbers
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from paddlemix.metrics.detection.matching import vision_r1_match
from paddlemix.metrics.detection.parse import MAX_BOXES, MAX_CHARS, Detection, load_json, valid_box

SWITCH_STEP = 1500  # Vision-R1's hard-coded STEP


@dataclass(frozen=True)
class VisionR1Rule:
    """The (lo, hi) thresholds of `modify` for each stage of the two rewards."""

    precision: tuple[float, float] = (0.0, 1.0)
    tp: tuple[float, float] = (0.5, 0.5)
    recall: tuple[float, float] = (0.0, 1.0)


RELEASED_RULE = VisionR1Rule()
EARLY_RULE = VisionR1Rule(precision=(0.5, 0.75), tp=(0.5, 0.5), recall=(0.5, 0.75))
LATE_RULE = VisionR1Rule(precision=(0.75, 0.9), tp=(0.75, 0.75), recall=(0.5, 0.75))


def vision_r1_rule(
    step: int | None = None,
    adaptive: bool = False,
    switch_step: int = SWITCH_STEP,
    early: VisionR1Rule = EARLY_RULE,
    late: VisionR1Rule = LATE_RULE,
) -> VisionR1Rule:
    """The rule in force: the released one unless `adaptive`, then `early` before `switch_step`, else `late`."""
    if not adaptive or step is None:
        return RELEASED_RULE
    return early if step < switch_step else late


def modify(values, lo: float, hi: float) -> np.ndarray:
    """Vision-R1's `modify_tensor`: values below lo become 0, above hi become 1, the rest stay."""
    v = np.asarray(values, dtype=np.float64)
    return np.where(v < lo, 0.0, np.where(v > hi, 1.0, v))


def target_id_map(value) -> dict[str, int]:
    """A sample's `target_id_maps` (a JSON string or a dict {name: id}) with lower-cased names."""
    mapping = json.loads(value) if isinstance(value, str) else value
    if not isinstance(mapping, Mapping):
        raise ValueError(f"target_id_maps must map names to ids, got {str(value)[:200]!r}")
    return {str(k).lower(): int(v) for k, v in mapping.items()}


def solution_boxes(solution) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Vision-R1's ground truth `[[name, [x1, y1, x2, y2]] or [name, [[...], ...]], ...]` as (name, box) pairs."""
    data = json.loads(solution) if isinstance(solution, str) else solution
    out = []
    for entry in data:
        name, boxes = entry
        flat = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        out.extend((str(name), tuple(float(v) for v in box)) for box in flat)
    return out


def vision_r1_scores(
    pred: Sequence[Detection],
    gt: Sequence[tuple[str, Sequence[float]]],
    id_map: Mapping[str, int],
    num_instances: int | None = None,
    rule: VisionR1Rule = RELEASED_RULE,
    penalize_surplus: bool = False,
) -> tuple[float, float]:
    """(precision, recall) of predictions (original pixels) against (name, box) ground truth."""
    n_instances = len(gt) if num_instances is None else int(num_instances)
    boxes = [d for d in pred if d.box is not None and valid_box(list(d.box)) is not None]
    if not boxes:
        return (1.0, 1.0) if n_instances == 0 else (0.0, 0.0)
    if not gt or n_instances == 0:
        return 0.0, 0.0
    pred_classes = [id_map.get(d.label.strip().lower(), 0) if isinstance(d.label, str) else 0 for d in boxes]
    gt_classes = [id_map[name.lower()] for name, _ in gt]
    match = vision_r1_match([d.box for d in boxes], pred_classes, [box for _, box in gt], gt_classes)
    per_pair = modify(match.giou, *rule.precision)
    precision = float(per_pair.sum() / (len(boxes) if penalize_surplus else len(per_pair)))
    tp = float(modify(match.giou, *rule.tp).sum())
    recall = float(modify([tp / n_instances], *rule.recall)[0])
    return precision, recall


_FENCE_MARKS = re.compile(r"```json\n|\n```")


def dual_format_ok(completion: str, strict: bool = True) -> bool:
    """Vision-R1's `dual_format_reward` test: the completion, fences removed, is a JSON list of detections.

    As Vision-R1: ```` ```json\\n ```` and ```` \\n``` ```` are removed, the rest stripped and `json.loads`ed.
    Vision-R1 passed any parseable JSON (`5`, `{}`, `["a"]`) and only checked items that had both keys;
    `strict` (ours, the default) wants a list of at most MAX_BOXES objects, each with a `label` string and
    a `bbox_2d` of 4 finite numbers. `strict=False` is Vision-R1's test.
    """
    data = load_json(_FENCE_MARKS.sub("", completion[:MAX_CHARS]).strip())
    if data is None:
        return False
    if not strict:
        if isinstance(data, list):
            for item in data:
                if isinstance(item, dict) and "bbox_2d" in item and "label" in item:
                    box = item["bbox_2d"]
                    if not (isinstance(box, list) and len(box) == 4):
                        return False
        return True
    if not isinstance(data, list) or len(data) > MAX_BOXES:
        return False
    return all(
        isinstance(item, dict) and isinstance(item.get("label"), str) and _finite4(item.get("bbox_2d"))
        for item in data
    )


def _finite4(values) -> bool:
    """Whether `values` is a list of 4 finite numbers (not booleans)."""
    if not isinstance(values, list) or len(values) != 4:
        return False
    try:
        return all(
            not isinstance(v, bool) and isinstance(v, numbers.Real) and math.isfinite(float(v))
            for v in values
        )
    except (OverflowError, ValueError):
        return False
