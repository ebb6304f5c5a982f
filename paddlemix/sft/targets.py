"""The text an SFT sample is trained to produce, rendered from the sample's solution.

| format           | target                                                                             |
|------------------|------------------------------------------------------------------------------------|
| `solution`       | the solution as the task wrote it (counting: "<answer> 3 </answer>"; a box: JSON)   |
| `answer`         | only what its `<answer>` tags hold ("3"), for a model that answers directly         |
| `vision_r1_json` | Vision-R1's detection target (`sft_qwen.py collate_fn`), see `vision_r1_json`       |
| `box`            | the one box of a REC/grounding solution in the model's frame, `[x1,y1,x2,y2]` ints  |
| `ref_box`        | the referring expression, then that box: `the red circle [x1,y1,x2,y2]` (PR1's order) |
| `aff_r1`         | Affordance-R1's think / rethink / answer, the JSON items in the model's frame (`aff_r1`) |
"""

from __future__ import annotations

import json
import re

import numpy as np

from paddlemix.metrics.boxes import solution_box, to_model_frame, to_original_frame
from paddlemix.metrics.detection.vision_r1 import solution_boxes

TARGET_FORMATS = ("solution", "answer", "vision_r1_json", "box", "ref_box", "aff_r1")
# The targets written in the model's coordinate frame: the trainer and the preflight both pass them the frame.
MODEL_FRAME_TARGETS = ("box", "ref_box", "aff_r1")
_ANSWER = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)


def vision_r1_json(sample: dict, input_size: tuple[int, int]) -> str:
    """Vision-R1's SFT target of a detection sample: a ```json fenced list, one item a line.

        ```json
        [
        \t{"bbox_2d": [x1, y1, x2, y2], "label": "cat"},
        \t{"bbox_2d": [...], "label": "dog"}
        ]
        ```

    Boxes go from original pixels (the sample's `solution`, `[[name, [[x1, y1, x2, y2], ...]], ...]`, and its
    `width`/`height`) to the resized model input, (h, w) = `input_size`: int(x / width * w), truncated like
    Vision-R1's `astype(int)`; Qwen2.5-VL answers in this frame. Vision-R1 keeps only the first box of each
    solution entry (`item[1][0]`); every box is kept here (the same when each entry holds one box).
    """
    width, height = sample.get("width"), sample.get("height")
    if width is None or height is None:
        width, height = sample["image_size"]
    in_h, in_w = input_size
    pairs = solution_boxes(sample["solution"])
    boxes = np.array([box for _, box in pairs], dtype=np.float64).reshape(-1, 4)
    scaled = boxes / np.array([width, height, width, height]) * np.array([in_w, in_h, in_w, in_h])
    items = [
        f'{{"bbox_2d": [{x1}, {y1}, {x2}, {y2}], "label": {json.dumps(name, ensure_ascii=False)}}}'
        for (name, _), (x1, y1, x2, y2) in zip(pairs, scaled.astype(int).tolist())
    ]
    return "```json\n[\n\t" + ",\n\t".join(items) + "\n]\n```"


def model_frame_box(sample: dict, frame, image_size, input_size) -> str:
    """A one-box solution as the model should answer it: `[x1,y1,x2,y2]`, rounded, in the model's `frame`.

    The solution is in the sample's `solution_frame` (original pixels unless it says otherwise, as PR1's 0-1000
    training set does); image_size is the original (w, h), input_size the resized input's (h, w).
    """
    box = solution_box(sample["solution"])
    if box is None:
        raise ValueError(f"the box target needs a one-box solution, got {str(sample['solution'])[:200]!r}")
    original = to_original_frame(box, sample.get("solution_frame", "original"), image_size, input_size)
    x1, y1, x2, y2 = (round(v) for v in to_model_frame(original, frame, image_size, input_size))
    return f"[{x1},{y1},{x2},{y2}]"


def aff_r1(sample: dict, frame, image_size, input_size) -> str:
    """Affordance-R1's answer to an affordance sample, coordinates in the model's `frame`.

        <think>the red thing to roll.</think> <rethink>roll.</rethink> <answer>[{"bbox_2d": [...],
        "point_2d": [...], "affordance": "roll"}]</answer>

    The solution's items are in the 840x840 frame of the seed; each box and point goes 840 -> original pixels
    (image_size (w, h)) -> the model's frame (input_size (h, w) for Qwen2.5-VL), rounded. The think and
    rethink are one short sentence each (the question, then the affordance word): `aff_format` wants the
    tags, `aff_non_repeat` distinct sentences, and every token of a longer text is one more a tiny model
    must learn and generate before the box (and that the eval's and GRPO's token budgets must hold).
    """
    from paddlemix.metrics.affordance import AFF_SIZE, solution_items

    items = solution_items(sample["solution"])
    if not items:
        raise ValueError(f"the aff_r1 target needs a list of objects, got {str(sample['solution'])[:200]!r}")
    w, h = image_size
    scale = (w / AFF_SIZE, h / AFF_SIZE, w / AFF_SIZE, h / AFF_SIZE)

    def model_frame(values):
        """840-frame values (a box, or a point doubled into one) -> rounded model-frame ints."""
        box = values if len(values) == 4 else list(values) * 2
        mapped = to_model_frame([v * f for v, f in zip(box, scale)], frame, image_size, input_size)
        return [round(v) for v in mapped][: len(values)]

    answers = []
    for item in items:
        affordance = item.get("affordance", sample.get("aff_name"))
        # The seed's prompt example's spacing: no spaces inside a coordinate list (fewer tokens to learn).
        answers.append(
            '{{"bbox_2d": [{}], "point_2d": [{}], "affordance": {}}}'.format(
                ",".join(map(str, model_frame(item["bbox_2d"]))),
                ",".join(map(str, model_frame(item["point_2d"]))),
                json.dumps(affordance),
            )
        )
    question = str(sample.get("question") or sample["problem"]).lower().strip(".")
    affordance = items[0].get("affordance", sample.get("aff_name"))
    return (
        f"<think>{question}.</think> <rethink>{affordance}.</rethink> <answer>[{', '.join(answers)}]</answer>"
    )


def render_target(
    sample: dict,
    target_format: str,
    input_size: tuple[int, int] | None = None,
    image_size: tuple[int, int] | None = None,
    frame=None,
) -> str:
    """The target text of `sample` (its `solution` field) in `target_format`.

    `input_size` (h, w) of the resized model input is needed by `vision_r1_json` and `box`; `box` also needs
    the original `image_size` (w, h) and the model's coordinate `frame`.
    """
    solution = sample.get("solution")
    if solution is None:
        raise KeyError(f"an SFT sample needs 'solution'; it has {sorted(sample)}")
    if target_format == "vision_r1_json":
        if input_size is None:
            raise ValueError("the vision_r1_json target needs the model input size (h, w)")
        return vision_r1_json(sample, input_size)
    if target_format == "aff_r1":
        if input_size is None or image_size is None or frame is None:
            raise ValueError(
                "the aff_r1 target needs the model input size, the image size and the model's frame"
            )
        return aff_r1(sample, frame, image_size, input_size)
    if target_format in ("box", "ref_box"):
        if input_size is None or image_size is None or frame is None:
            raise ValueError(
                "the box target needs the model input size, the image size and the model's frame"
            )
        box = model_frame_box(sample, frame, image_size, input_size)
        if target_format == "box":
            return box
        # PR1's grounding answer names the object before its box; saying it first also gives a small model the
        # phrase next to where it writes the box, instead of a prompt's length away.
        return f"{sample.get('normal_caption') or sample['problem']} {box}"
    text = solution if isinstance(solution, str) else json.dumps(solution)
    if target_format == "solution":
        return text
    if target_format == "answer":
        found = _ANSWER.search(text)
        return found.group(1).strip() if found else text.strip()
    raise ValueError(f"unknown target format {target_format!r}; known: {TARGET_FORMATS}")
