r"""Perception-R1's grounding and counting-by-boxes rewards.

| name                   | rule                                                                            |
|------------------------|---------------------------------------------------------------------------------|
| `iou_squared`          | IoU^2 of the answer's box with the ground truth (PR1's grounding reward)         |
| `pr1_grounding_format` | the answer is `<|object_ref_start|>...<|object_ref_end|><|box_start|>(x1,y1),(x2,y2)<|box_end|>` |
| `box_count`            | 1.0 if the number of distinct boxes the answer gives equals the ground truth     |

`iou_squared`: the box is the one `<|box_start|>` span (or, when decoding dropped the special tokens, the one
bare `(x1,y1),(x2,y2)` pair; else the one bracketed box of `metrics.boxes.parse_box`). An answer naming several
different boxes hedges and scores 0; PR1 took the first. Both boxes go to original pixels (the answer from
`coord_frame`/`model_type`, Qwen2-VL's 0-1000 by default for PR1; the ground truth from `solution_frame`,
PR1's training data is 0-1000) and the IoU is the standard one, which is the same number in any frame that
scales the axes. PR1 multiplied a box without `<|box_start|>` by 1000 on the guess that it was 0-1 (here the
declared frame decides) and divided by a zero union.

`pr1_grounding_format`: PR1's regex `^<|object_ref_start|>.*?<|object_ref_end|><|box_start|>.*?<|box_end|><|im_end|>`
left its `|` unescaped, so it was an alternation that matched any text starting with `<`, `>` or one of the
token names. This is the rule it meant, with the box required to be a point pair, `<|im_end|>` optional
(our decoding may stop before or drop it) and PR1's `<|endoftext|>` removal. The trainer decodes with the
special tokens dropped, which leaves "the cat(10,20),(30,40)": a completion holding no `<|` token must be
exactly that, an object text then one point pair.

`box_count` (not upstream: PR1 did not release its counting reward) pays only an exact count, so listing
extra boxes earns nothing. Ground truth: `ground_truth` (an int, PR1's counting jsonl) or `solution`
(an int or "<answer> N </answer>").
"""

from __future__ import annotations

import re

from paddlemix.metrics.answers import gold_answer
from paddlemix.metrics.boxes import CoordFrame, parse_box, resolve_frame, resolve_input_size, solution_box
from paddlemix.metrics.detection import box_iou, box_to_original, count_boxes, parse_qwen2_boxes
from paddlemix.rewards.dispatch import applies
from paddlemix.rewards.registry import per_sample, register_reward

_N = r"-?\d+(?:\.\d+)?"
# What is left of the same answer once decoding drops the special tokens (the trainer decodes that way).
GROUNDING_FORMAT_STRIPPED = re.compile(rf"[^<>()]+?\(\s*{_N}\s*,\s*{_N}\s*\)\s*,\s*\(\s*{_N}\s*,\s*{_N}\s*\)")
GROUNDING_FORMAT = re.compile(
    rf"<\|object_ref_start\|>.*?<\|object_ref_end\|><\|box_start\|>\(\s*{_N}\s*,\s*{_N}\s*\)\s*,\s*"
    rf"\(\s*{_N}\s*,\s*{_N}\s*\)<\|box_end\|>(?:<\|im_end\|>)?"
)


def answer_box(completion: str):
    """The one box a grounding answer gives (Qwen2-VL span, bare point pair, or bracket), else None."""
    items = parse_qwen2_boxes(completion)
    if items:
        distinct = {d.box for d in items}
        return next(iter(distinct)) if len(distinct) == 1 else None
    return parse_box(completion)


def grounding_iou(
    completion: str,
    solution,
    image_size=None,
    image_grid_thw=None,
    input_size=None,
    coord_frame=None,
    model_type=None,
    solution_frame="original",
    **_,
) -> float:
    """Standard IoU of the answer's box with the ground truth, both in original pixels; 0 without a box."""
    gt = solution_box(solution)
    if gt is None:
        raise ValueError(f"grounding solution {str(solution)[:200]!r} is not one [x1, y1, x2, y2] box")
    frame = resolve_frame(coord_frame, model_type)
    in_size = resolve_input_size(input_size, image_grid_thw)
    if image_size is None and frame is CoordFrame(solution_frame):
        pred, gt_box = box_to_original(answer_box(completion), "original"), box_to_original(gt, "original")
    else:
        pred = box_to_original(answer_box(completion), frame, image_size, in_size)
        gt_box = box_to_original(gt, solution_frame, image_size, in_size)
    if pred is None or gt_box is None:
        return 0.0
    return box_iou(pred, gt_box)


@register_reward("iou_squared")
@per_sample
def iou_squared(completion: str, solution, task=None, **fields) -> float | None:
    """IoU^2 of the answer's box with the ground-truth box (Perception-R1's grounding reward)."""
    if not applies("iou_squared", task):
        return None
    return grounding_iou(completion.replace("<|endoftext|>", ""), solution, **fields) ** 2


@register_reward("pr1_grounding_format")
@per_sample
def pr1_grounding_format(completion: str, task=None, **_) -> float | None:
    """1.0 if the completion is exactly an object ref followed by one point-pair box (PR1's intended rule)."""
    if not applies("pr1_grounding_format", task):
        return None
    text = completion.replace("<|endoftext|>", "").strip()
    pattern = GROUNDING_FORMAT if "<|" in text else GROUNDING_FORMAT_STRIPPED
    return 1.0 if pattern.fullmatch(text) else 0.0


def gold_count(ground_truth=None, solution=None) -> int:
    """The ground-truth count: `ground_truth` if given, else the integer in `solution`."""
    value = ground_truth if ground_truth is not None else solution
    if isinstance(value, bool):
        raise ValueError(f"a count is an integer, got {value!r}")
    if isinstance(value, int):
        return value
    return int(gold_answer(value).strip())


@register_reward("box_count")
@per_sample
def box_count(completion: str, ground_truth=None, solution=None, task=None, **_) -> float | None:
    """1.0 if the answer gives exactly as many distinct valid boxes as the ground-truth count."""
    if not applies("box_count", task):
        return None
    return 1.0 if count_boxes(completion) == gold_count(ground_truth, solution) else 0.0
