"""REC rewards: IoU of the answer's box, mapped to original pixels, with the ground-truth box; and the format.

- `rec_iou`: 1.0 if IoU > 0.5 else 0.0, the seed's reward (PaddleMIX/VLM-R1 grpo_rec.py `iou_reward`).
- `rec_iou_continuous`: the IoU itself, VLM-R1's current reward.
- `rec_format`: the seed's REC rule (PaddleMIX train/grpo_rec.py, from VLM-R1), the think/answer protocol with
  a JSON object holding an integer box inside the answer: `<answer>...{...[x1, y1, x2, y2]...}...</answer>`.
  Floats and a bare `[x1, y1, x2, y2]` list do not match it. VLM-R1 later relaxed fullmatch to search;
  we keep the seed's fullmatch, so text after `</answer>` fails.

Fields: `solution` (the box in original pixels: a 4-list, "[x1, y1, x2, y2]" or "<answer>[...]</answer>"),
`image_size` (w, h) of the original image, `image_grid_thw` (t, h/14, w/14) or `input_size` (h, w) of the
model input, and `coord_frame` ("qwen2_5_vl_abs" | "qwen2_vl_norm1000" | "original") or else `model_type`
("qwen2_5_vl" | "qwen2_vl"). Parsing, rescaling and IoU are `metrics.boxes`, shared with the eval.
A sample whose task does not use these rewards (a counting sample in a mixture) gets None.
"""

from __future__ import annotations

import re

from paddlemix.metrics.boxes import answer_iou, resolve_frame, resolve_input_size
from paddlemix.rewards.dispatch import applies
from paddlemix.rewards.registry import per_sample, register_reward

REC_THINK_ANSWER = re.compile(
    r"<think>.*?</think>\s*<answer>.*?\{.*\[\d+,\s*\d+,\s*\d+,\s*\d+\].*\}.*?</answer>", re.DOTALL
)


def sample_iou(
    completion: str,
    solution,
    image_size=None,
    image_grid_thw=None,
    input_size=None,
    coord_frame=None,
    model_type=None,
    **_,
) -> float:
    """IoU of a completion's box with its sample's ground-truth box, in original pixels."""
    frame = resolve_frame(coord_frame, model_type)
    return answer_iou(completion, solution, frame, image_size, resolve_input_size(input_size, image_grid_thw))


@register_reward("rec_iou")
@per_sample
def rec_iou(completion: str, task=None, **fields) -> float | None:
    """1.0 if the answer's box overlaps the ground truth with IoU > 0.5, else 0.0 (the seed's reward)."""
    if not applies("rec_iou", task):
        return None
    return float(sample_iou(completion, **fields) > 0.5)


@register_reward("rec_iou_continuous")
@per_sample
def rec_iou_continuous(completion: str, task=None, **fields) -> float | None:
    """The IoU of the answer's box with the ground truth, in [0, 1] (VLM-R1's current reward)."""
    if not applies("rec_iou_continuous", task):
        return None
    return sample_iou(completion, **fields)


@register_reward("rec_format")
@per_sample
def rec_format(completion: str, **_) -> float:
    """1.0 if the completion is think/answer with a JSON object holding an integer box in the answer."""
    return 1.0 if REC_THINK_ANSWER.fullmatch(completion) else 0.0
