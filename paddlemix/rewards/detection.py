"""Vision-R1's detection rewards: dual format, precision and recall over a Hungarian matching.

Registered as `vision_r1_dual_format`, `vision_r1_precision`, `vision_r1_recall`; Vision-R1 sums the three
(each in [0, 1]). The metrics are `metrics.detection.vision_r1` (formulas, thresholds, differences).

Fields, Vision-R1's own columns: `solution` (JSON `[[name, [x1, y1, x2, y2]], ...]`, original pixels),
`width`, `height` (the original image; or `image_size` (w, h)), `num_instances`, `target_id_maps` (JSON
{name: id >= 1}); and the model's frame: `image_grid_thw` (or `input_size` (h, w)) with `coord_frame` or
`model_type`. Progressive rule refinement is off by default, as in Vision-R1's released script: the paper's
staged rules are `vision_r1_precision_adaptive` and `vision_r1_recall_adaptive` (the trainer passes
`global_step`; `switch_step`, default 1500, and the stages' thresholds are keyword arguments of
`vision_r1_precision_recall` for a reward registered with other values).

Surplus boxes: precision and recall only look at the min(N, M) matched pairs, so listing more boxes never
lowers them and can raise them. That is Vision-R1's published definition; `penalize_surplus=True` makes
precision count unmatched predictions as 0.
"""

from __future__ import annotations

from paddlemix.metrics.boxes import resolve_frame, resolve_input_size
from paddlemix.metrics.detection import (
    dual_format_ok,
    parse_vision_r1,
    solution_boxes,
    target_id_map,
    to_original_detections,
    vision_r1_rule,
    vision_r1_scores,
)
from paddlemix.metrics.detection.vision_r1 import SWITCH_STEP
from paddlemix.rewards.dispatch import applies
from paddlemix.rewards.registry import per_sample, register_reward


def vision_r1_precision_recall(
    completion: str,
    solution,
    target_id_maps,
    num_instances=None,
    width=None,
    height=None,
    image_size=None,
    image_grid_thw=None,
    input_size=None,
    coord_frame=None,
    model_type=None,
    global_step=None,
    adaptive: bool = False,
    switch_step: int = SWITCH_STEP,
    penalize_surplus: bool = False,
    **_,
) -> tuple[float, float]:
    """Vision-R1's (precision, recall) of one completion against its sample's ground truth."""
    frame = resolve_frame(coord_frame, model_type)
    size = (width, height) if width is not None and height is not None else image_size
    pred = to_original_detections(
        parse_vision_r1(completion.strip()), frame, size, resolve_input_size(input_size, image_grid_thw)
    )
    rule = vision_r1_rule(global_step, bool(adaptive), int(switch_step))
    return vision_r1_scores(
        pred,
        solution_boxes(solution),
        target_id_map(target_id_maps),
        None if num_instances is None else int(num_instances),
        rule,
        bool(penalize_surplus),
    )


@register_reward("vision_r1_dual_format")
@per_sample
def vision_r1_dual_format(
    completion: str, num_instances=None, strict: bool = True, task=None, **_
) -> float | None:
    """1.0 if the completion is a JSON list of {bbox_2d, label} objects (0/1 reversed for 0 instances)."""
    if not applies("vision_r1_dual_format", task):
        return None
    ok = float(dual_format_ok(completion, strict=bool(strict)))
    return 1.0 - ok if num_instances is not None and int(num_instances) == 0 else ok


@register_reward("vision_r1_precision")
@per_sample
def vision_r1_precision(completion: str, task=None, **fields) -> float | None:
    """Mean thresholded GIoU of the Hungarian-matched pairs (Vision-R1's precision_reward)."""
    if not applies("vision_r1_precision", task):
        return None
    return vision_r1_precision_recall(completion, **fields)[0]


@register_reward("vision_r1_recall")
@per_sample
def vision_r1_recall(completion: str, task=None, **fields) -> float | None:
    """Share of instances matched with GIoU above the TP threshold, thresholded (Vision-R1's recall_reward)."""
    if not applies("vision_r1_recall", task):
        return None
    return vision_r1_precision_recall(completion, **fields)[1]


@register_reward("vision_r1_precision_adaptive")
@per_sample
def vision_r1_precision_adaptive(completion: str, task=None, **fields) -> float | None:
    """`vision_r1_precision` with progressive rule refinement: stricter thresholds from step 1500."""
    if not applies("vision_r1_precision_adaptive", task):
        return None
    return vision_r1_precision_recall(completion, **{**fields, "adaptive": True})[0]


@register_reward("vision_r1_recall_adaptive")
@per_sample
def vision_r1_recall_adaptive(completion: str, task=None, **fields) -> float | None:
    """`vision_r1_recall` with progressive rule refinement: stricter thresholds from step 1500."""
    if not applies("vision_r1_recall_adaptive", task):
        return None
    return vision_r1_precision_recall(completion, **{**fields, "adaptive": True})[1]
