"""VLM-R1's open-vocabulary detection rewards: one-image COCO AP, with or without the surplus-box penalty.

| name               | VLM-R1 method   | value                                                              |
|--------------------|-----------------|--------------------------------------------------------------------|
| `od_ap`            | `od_ap`         | COCO AP@[.5:.95] of the answer on its image (pycocotools)          |
| `od_ap50`          | `od_ap50`       | COCO AP50                                                          |
| `od_length`        | `odLength`      | AP * min(1, #gt / #answered): the published OVD recipe's reward    |
| `det_weighted_sum` | `weighted_sum`  | 0.7 * matched IoU + 0.3 * completeness over greedy IoU matching     |
| `ovd_accuracy`     | per sample      | the method named by the sample's `accu_reward_method` (VLM-R1 jsonl)|

Formulas and differences from VLM-R1 are in `metrics.detection.ovd`. A sample whose ground truth is "None"
(no target) scores 1 only for the answer "None".

Surplus boxes: `od_ap` and `od_ap50` are VLM-R1's published AP rewards, and AP with every box scored 1.0
does not fall when wrong boxes follow the right ones, so they pay for spraying guesses after the good boxes.
`od_length` (VLM-R1's answer to exactly that) and `det_weighted_sum` penalise surplus boxes.

Fields: `solution` (VLM-R1's "<answer> ```json [...] ``` </answer>" or "<answer> None </answer>"),
`image_size` (w, h), `image_grid_thw` or `input_size`, `coord_frame` or `model_type` for the model's frame,
and `solution_frame` for the ground truth's (default "original": original-image pixels).
"""

from __future__ import annotations

from paddlemix.metrics.boxes import resolve_frame, resolve_input_size
from paddlemix.metrics.detection import ground_truth_items, ovd_ap, weighted_sum
from paddlemix.rewards.dispatch import applies
from paddlemix.rewards.registry import per_sample, register_reward

METHOD_STATS = {"od_ap": (0, False), "od_ap50": (1, False), "odLength": (0, True)}  # COCOeval stat, penalty


def ovd_score(
    completion: str,
    solution,
    method: str,
    image_size=None,
    image_grid_thw=None,
    input_size=None,
    coord_frame=None,
    model_type=None,
    solution_frame="original",
    **_,
) -> float:
    """One completion's VLM-R1 score under `method` (od_ap, od_ap50, odLength or weighted_sum)."""
    frame, in_size = resolve_frame(coord_frame, model_type), resolve_input_size(input_size, image_grid_thw)
    gt = ground_truth_items(solution, solution_frame, image_size, in_size)
    if method == "weighted_sum":
        return weighted_sum(completion, gt, frame, image_size, in_size)
    if method not in METHOD_STATS:
        raise ValueError(
            f"unknown VLM-R1 detection method {method!r}; known: {', '.join([*METHOD_STATS, 'weighted_sum'])}"
        )
    stat, penalty = METHOD_STATS[method]
    return ovd_ap(completion, gt, frame, image_size, in_size, stat=stat, length_penalty=penalty)


@register_reward("od_ap")
@per_sample
def od_ap(completion: str, solution, task=None, **fields) -> float | None:
    """COCO AP@[.5:.95] of the answer's boxes on its one image (pays for surplus boxes after good ones)."""
    if not applies("od_ap", task):
        return None
    return ovd_score(completion, solution, "od_ap", **fields)


@register_reward("od_ap50")
@per_sample
def od_ap50(completion: str, solution, task=None, **fields) -> float | None:
    """COCO AP50 of the answer's boxes on its one image (pays for surplus boxes after good ones)."""
    if not applies("od_ap50", task):
        return None
    return ovd_score(completion, solution, "od_ap50", **fields)


@register_reward("od_length")
@per_sample
def od_length(completion: str, solution, task=None, **fields) -> float | None:
    """COCO AP@[.5:.95] times min(1, #gt / #answered): VLM-R1's odLength."""
    if not applies("od_length", task):
        return None
    return ovd_score(completion, solution, "odLength", **fields)


@register_reward("det_weighted_sum")
@per_sample
def det_weighted_sum(completion: str, solution, task=None, **fields) -> float | None:
    """VLM-R1's weighted_sum: 0.7 matched IoU + 0.3 completeness, over greedy IoU >= 0.5 matching."""
    if not applies("det_weighted_sum", task):
        return None
    return ovd_score(completion, solution, "weighted_sum", **fields)


@register_reward("ovd_accuracy")
@per_sample
def ovd_accuracy(
    completion: str, solution, accu_reward_method=None, default_method="odLength", task=None, **fields
):
    """The detection method a VLM-R1 jsonl sample names in `accu_reward_method`; None for other methods."""
    if not applies("ovd_accuracy", task):
        return None
    method = accu_reward_method or default_method
    if method not in (*METHOD_STATS, "weighted_sum"):
        return None
    return ovd_score(completion, solution, method, **fields)
