r"""Detection answers: the boxes and labels a completion gives, in each seed's answer format.

Every parser reads at most MAX_CHARS characters and returns at most MAX_BOXES items, so a runaway completion
costs bounded work. An item is a `Detection(box, label)`; `box` is None when the item is malformed (not 4
finite numbers, x2 <= x1 or y2 <= y1): it then matches nothing but still counts as an item, so a reward
that penalises surplus boxes sees it. Boxes are in the model's frame here; `frames.to_original_detections`
maps them to original pixels.

| parser                  | seed                         | answer form                                                  |
|-------------------------|------------------------------|--------------------------------------------------------------|
| `parse_vlm_r1`          | VLM-R1 OVD (`map_reward`)    | last `<answer>`; "None", or the last ```json fenced list     |
| `parse_vision_r1`       | Vision-R1 (`extract`)        | the whole text: ```json list, else the seed's exact regex    |
| `parse_json_detections` | Qwen2.5-VL, PR1/VR1 evals    | `<answer>` if present; fenced or bare JSON list; optional    |
|                         |                              | repair of a truncated list (Vision-R1's eval)                |
| `parse_qwen2_boxes`     | Qwen2-VL, PR1 counting       | `<|object_ref_start|>l<|object_ref_end|><|box_start|>(x1,y1),(x2,y2)<|box_end|>` |
| `pr1_box`               | PR1 grounding (verbatim)     | first `[a,b,c,d]`, `(a,b,c,d)` or `(a,b),(c,d)`; else 0s     |

The items are the JSON objects `{"bbox_2d": [x1, y1, x2, y2], "label": "..."}`. Coordinates are numbers, not
strings or booleans; NaN, Infinity and overflowing literals make the item malformed, never an exception.
"""

from __future__ import annotations

import json
import math
import numbers
import re
from dataclasses import dataclass

MAX_CHARS = 65536  # characters of a completion read; 4096 tokens of boxes is about 16k characters
MAX_BOXES = 300  # items kept per answer; pycocotools scores at most 100 per class anyway

Box = tuple[float, float, float, float]

_ANSWER = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)
_FENCED_JSON = re.compile(r"```json(.*?)```", re.DOTALL)
# Vision-R1's fallback (visionr1_qwen.py extract_bbox_label): 0-1000 integers, the exact spacing only.
_VISION_R1_ITEM = re.compile(
    r'\{"bbox_2d": \[(\d{1,3}|1000), (\d{1,3}|1000), (\d{1,3}|1000), (\d{1,3}|1000)\], "label": "([^"]+)"\}'
)
_NUM = r"(-?\d+(?:\.\d+)?)"
_QWEN2_SPAN = re.compile(r"<\|box_start\|>(.*?)<\|box_end\|>", re.DOTALL)
_QWEN2_REF = re.compile(r"<\|object_ref_start\|>(.*?)<\|object_ref_end\|>\s*$", re.DOTALL)
_POINT_PAIR = re.compile(rf"\(\s*{_NUM}\s*,\s*{_NUM}\s*\)\s*,\s*\(\s*{_NUM}\s*,\s*{_NUM}\s*\)")
# PR1 src/open_r1/rewards.py parse_float_sequence_within, in its order (pattern 3 allows no space before ')').
_PR1_PATTERNS = (
    re.compile(rf"\[\s*{_NUM},\s*{_NUM},\s*{_NUM},\s*{_NUM}\s*\]"),
    re.compile(rf"\(\s*{_NUM},\s*{_NUM},\s*{_NUM},\s*{_NUM}\s*\)"),
    re.compile(rf"\(\s*{_NUM},\s*{_NUM}\),\s*\(\s*{_NUM},\s*{_NUM}\)"),
)


@dataclass(frozen=True)
class Detection:
    """One answered object: its box (x1, y1, x2, y2) or None if malformed, and its label (None if absent)."""

    box: Box | None
    label: str | None


@dataclass(frozen=True)
class VlmR1Answer:
    """What a VLM-R1 OVD completion answers: no answer, "None" (no target), or a list of detections."""

    kind: str  # "missing" (no <answer>, or an unreadable one) | "none" | "list"
    items: tuple[Detection, ...] = ()


def valid_box(values) -> Box | None:
    """`values` as a box if it is 4 finite real numbers with x1 < x2 and y1 < y2, else None."""
    if not isinstance(values, (list, tuple)) or len(values) != 4:
        return None
    if any(isinstance(v, bool) or not isinstance(v, numbers.Real) for v in values):
        return None
    try:
        box = tuple(float(v) for v in values)
    except (OverflowError, ValueError):
        return None
    if not all(math.isfinite(v) for v in box) or box[2] <= box[0] or box[3] <= box[1]:
        return None
    return box


def load_json(text: str):
    """`json.loads` of a length-capped string; None when it does not parse (or nests too deep)."""
    try:
        return json.loads(text[:MAX_CHARS])
    except (ValueError, RecursionError):
        return None


def detection_from_item(item, cast_int: bool = False) -> Detection:
    """One `{"bbox_2d": [...], "label": ...}` object as a Detection; `cast_int` truncates like Vision-R1."""
    if not isinstance(item, dict):
        return Detection(None, None)
    label = item.get("label")
    label = label if isinstance(label, str) else None
    values = item.get("bbox_2d")
    if cast_int and valid_box(_finite_or_none(values)) is not None:
        values = [int(v) for v in values]
    return Detection(valid_box(values), label)


def _finite_or_none(values):
    """`values` unchanged if it could be a box before int truncation (so x1 < x2 may still fail after)."""
    if not isinstance(values, (list, tuple)) or len(values) != 4:
        return None
    if any(isinstance(v, bool) or not isinstance(v, numbers.Real) for v in values):
        return None
    try:
        return values if all(math.isfinite(float(v)) for v in values) else None
    except (OverflowError, ValueError):
        return None


def detections_from_list(data, cast_int: bool = False) -> list[Detection] | None:
    """The Detections of a parsed JSON list; None if it is not a list or has more than MAX_BOXES items."""
    if not isinstance(data, list) or len(data) > MAX_BOXES:
        return None
    return [detection_from_item(item, cast_int) for item in data]


def last_answer(text: str) -> str | None:
    """VLM-R1's answer: the last `<answer>...</answer>` block (DOTALL), stripped; None if there is none."""
    blocks = _ANSWER.findall(text[:MAX_CHARS])
    return blocks[-1].strip() if blocks else None


def parse_vlm_r1(completion: str) -> VlmR1Answer:
    """A VLM-R1 OVD answer: the last `<answer>`; "None", or the list in its last ```json fence."""
    answer = last_answer(completion)
    if answer is None:
        return VlmR1Answer("missing")
    if answer == "None":
        return VlmR1Answer("none")
    fences = _FENCED_JSON.findall(answer)
    items = detections_from_list(load_json(fences[-1].strip())) if fences else None
    # VLM-R1 reads an unfenced or unparseable answer as an empty list: no boxes.
    return VlmR1Answer("list", tuple(items or ()))


def vlm_r1_solution(solution: str) -> VlmR1Answer:
    """The ground truth of a VLM-R1 OVD sample, read like a completion (it is `<answer> ... </answer>`)."""
    text = str(solution)
    return parse_vlm_r1(text if _ANSWER.search(text) else f"<answer>{text}</answer>")


def parse_vision_r1(completion: str) -> list[Detection]:
    """Vision-R1's `extract`: the fenced (or bare) JSON list, else its fallback regex; ints, valid boxes only.

    As the seed: lines = text.strip().splitlines(); a first line starting with ```json is dropped, the text is
    cut at the next ```, and `json.loads` must give a list. Items whose int-truncated box is not x1 < x2 and
    y1 < y2 are dropped (they do not count at all, unlike `parse_vlm_r1`).
    """
    text = completion[:MAX_CHARS]
    lines = text.strip().splitlines()
    items: list[Detection] = []
    if lines:
        body = "\n".join(lines[1:]) if lines[0].startswith("```json") else text
        if "```" in body:
            body = body.split("```")[0]
        parsed = detections_from_list(load_json(body), cast_int=True)
        items = [d for d in parsed or [] if d.box is not None]
    if not items:
        for match in _VISION_R1_ITEM.finditer(text):
            box = valid_box([int(v) for v in match.groups()[:4]])
            if box is not None:
                items.append(Detection(box, match.group(5)))
            if len(items) == MAX_BOXES:
                break
    return items[:MAX_BOXES]


def repair_truncated_list(text: str) -> str:
    """Vision-R1's eval repair of an output cut mid-list: keep up to the last `"}` and close with `]`."""
    return text[: text.rfind('"}') + len('"}')] + "]"


def parse_json_detections(text: str, repair: bool = False) -> tuple[list[Detection] | None, bool]:
    """Qwen2.5-VL's JSON list of detections, and whether it needed the truncation repair.

    The text read is the `<answer>` block when there is one, else the whole completion; a ```json (or ```)
    fence is stripped, an unclosed one too (a cut output). Returns (None, False) when nothing parses.
    """
    body = text[:MAX_CHARS]
    answer = last_answer(body)
    if answer is not None:
        body = answer
    start = body.find("```json")
    if start >= 0:
        body = body[start + len("```json") :].split("```")[0]
    elif body.lstrip().startswith("```"):
        body = body.lstrip()[3:].split("```")[0]
    parsed = load_json(body.strip())
    if isinstance(parsed, list):
        return detections_from_list(parsed), False
    if repair:
        repaired = load_json(repair_truncated_list(body.strip()))
        if isinstance(repaired, list):
            return detections_from_list(repaired), True
    return None, False


def parse_qwen2_boxes(text: str) -> list[Detection]:
    """Qwen2-VL's boxes: each `<|box_start|>(x1,y1),(x2,y2)<|box_end|>` span, labelled by the ref before it.

    A span that holds no point pair is a malformed item. When the special tokens were stripped in decoding
    (no `<|box_start|>` at all), every bare `(x1,y1),(x2,y2)` pair is an item, unlabelled.
    """
    text = text[:MAX_CHARS]
    items: list[Detection] = []
    spans = list(_QWEN2_SPAN.finditer(text))
    if spans:
        previous_end = 0
        for span in spans[:MAX_BOXES]:
            pair = _POINT_PAIR.fullmatch(span.group(1).strip())
            box = valid_box([float(v) for v in pair.groups()]) if pair else None
            ref = _QWEN2_REF.search(text[previous_end : span.start()])
            items.append(Detection(box, ref.group(1).strip() if ref else None))
            previous_end = span.end()
        return items
    for pair in _POINT_PAIR.finditer(text):
        items.append(Detection(valid_box([float(v) for v in pair.groups()]), None))
        if len(items) == MAX_BOXES:
            break
    return items


def pr1_box(text: str) -> list[float]:
    """PR1's `parse_float_sequence_within`: the first box of its three patterns, or [0, 0, 0, 0]."""
    text = text[:MAX_CHARS]
    for pattern in _PR1_PATTERNS:
        match = pattern.search(text)
        if match:
            return [float(v) for v in match.groups()]
    return [0.0, 0.0, 0.0, 0.0]
