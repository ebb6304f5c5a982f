"""REC accuracy rewards: IoU of the answer's box, mapped to original pixels, with the ground-truth box.

- `rec_iou`: 1.0 if IoU > 0.5 else 0.0, the seed's reward (PaddleMIX/VLM-R1 grpo_rec.py `iou_reward`).
- `rec_iou_continuous`: the IoU itself, VLM-R1's current reward.

Fields: `solution` (the box in original pixels: a 4-list, "[x1, y1, x2, y2]" or "<answer>[...]</answer>"),
`image_size` (w, h) of the original image, `image_grid_thw` (t, h/14, w/14) or `input_size` (h, w) of the
model input, and `coord_frame` ("qwen2_5_vl_abs" | "qwen2_vl_norm1000" | "original") or else `model_type`
("qwen2_5_vl" | "qwen2_vl"). Parsing, rescaling and IoU are `metrics.boxes`, shared with the eval.
A sample whose solution is not a box gets None: these rewards do not apply to it.
"""

from __future__ import annotations

from paddlemix.metrics.boxes import answer_iou, resolve_frame, resolve_input_size, solution_box
from paddlemix.rewards.registry import per_sample, register_reward


def sample_iou(
    completion: str,
    solution,
    image_size=None,
    image_grid_thw=None,
    input_size=None,
    coord_frame=None,
    model_type=None,
    **_,
) -> float | None:
    """IoU of a completion's box with its sample's ground truth, or None if the solution is not a box."""
    if solution_box(solution) is None:
        return None
    frame = resolve_frame(coord_frame, model_type)
    return answer_iou(completion, solution, frame, image_size, resolve_input_size(input_size, image_grid_thw))


@register_reward("rec_iou")
@per_sample
def rec_iou(completion: str, **fields) -> float | None:
    """1.0 if the answer's box overlaps the ground truth with IoU > 0.5, else 0.0 (the seed's reward)."""
    value = sample_iou(completion, **fields)
    return None if value is None else float(value > 0.5)


@register_reward("rec_iou_continuous")
@per_sample
def rec_iou_continuous(completion: str, **fields) -> float | None:
    """The IoU of the answer's box with the ground truth, in [0, 1] (VLM-R1's current reward)."""
    return sample_iou(completion, **fields)
