"""Boxes for referring expression comprehension: parse one from a completion, map it to the image, IoU.

Parsing rule (`find_boxes`, `parse_box`). The text searched is the completion's final answer (`final_answer`:
the `<answer>` contents, or the whole text when the completion uses no tags). A box is either
- a bracket holding exactly four numbers, `[x1, y1, x2, y2]` (integers or floats, optional sign and exponent).
  This covers a bare JSON list, VLM-R1's `{"bbox_2d": [...], "label": ...}` objects, lists of them, fenced
  ```json blocks and prose such as "the box is [1, 2, 3, 4]";
- or Qwen2-VL's native pair `(x1,y1),(x2,y2)`.
`NaN`, `Infinity`, non-numeric entries and brackets of 3 or 5 numbers are not boxes.

Several boxes: the answer earns a box only if all the boxes it holds are the same box. A REC question has
one referent, so an answer listing several different boxes is a hedge and gets no box (IoU 0), never the
best of them; the seed took the first one, which rewards spraying boxes as long as the first lands.

Frames (`CoordFrame`). The ground truth is in original-image pixels; models answer in their own frame:
- Qwen2.5-VL in absolute pixels of the *resized* model input, whose (h, w) is image_grid_thw[1:] * 14;
- Qwen2-VL and Qwen3-VL in coordinates normalised to 0-1000 (relative to the image, so the resize does
  not matter);
so `to_original_frame` rescales x by orig_w / input_w (or / 1000) and y likewise, then clamps to the image.
The seed and PaddleMIX compared the raw answer with the ground truth, wrong whenever the image was resized.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Sequence

import numpy as np

from paddlemix.metrics.answers import extract_answer, final_answer

PATCH_SIZE = 14  # pixels per side of a ViT patch; image_grid_thw counts patches before the 2x2 merge

_NUM = r"([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)"
_BRACKET_BOX = re.compile(rf"\[\s*{_NUM}\s*,\s*{_NUM}\s*,\s*{_NUM}\s*,\s*{_NUM}\s*\]")
_POINT_PAIR_BOX = re.compile(rf"\(\s*{_NUM}\s*,\s*{_NUM}\s*\)\s*,?\s*\(\s*{_NUM}\s*,\s*{_NUM}\s*\)")

Box = list[float]  # [x1, y1, x2, y2]


class CoordFrame(str, enum.Enum):
    """The coordinate frame a model answers boxes in."""

    QWEN2_5_VL_ABS = "qwen2_5_vl_abs"  # absolute pixels of the resized model input
    QWEN2_VL_NORM1000 = "qwen2_vl_norm1000"  # 0-1000 normalised
    ORIGINAL = "original"  # already in original-image pixels: no rescale


# Qwen3-VL grounds in the same 0-1000 frame as Qwen2-VL (its resized input has 16 px patches, so the
# absolute frame's PATCH_SIZE would not fit it; the relative frame needs no input size).
_MODEL_FRAMES = {
    "qwen2_5_vl": CoordFrame.QWEN2_5_VL_ABS,
    "qwen2_vl": CoordFrame.QWEN2_VL_NORM1000,
    "qwen3_vl": CoordFrame.QWEN2_VL_NORM1000,
}
MODEL_TYPES = tuple(_MODEL_FRAMES)  # the model types whose box frame is known


def coord_frame(frame) -> CoordFrame:
    """The CoordFrame named by `frame`; a clear error listing the known ones otherwise."""
    try:
        return CoordFrame(frame)
    except ValueError:
        known = ", ".join(f.value for f in CoordFrame)
        raise ValueError(f"unknown coord_frame {frame!r}; known: {known}") from None


def frame_for_model(model_type: str) -> CoordFrame:
    """The frame a model type answers in: qwen2_5_vl -> absolute input pixels, qwen2_vl / qwen3_vl -> 0-1000."""
    if model_type not in _MODEL_FRAMES:
        raise ValueError(f"no coord frame for model_type {model_type!r}; known: {', '.join(_MODEL_FRAMES)}")
    return _MODEL_FRAMES[model_type]


def resolve_frame(coord_frame_name=None, model_type=None) -> CoordFrame:
    """The frame from an explicit `coord_frame` or else the `model_type`; an error if neither is given."""
    if coord_frame_name is not None:
        return coord_frame(coord_frame_name)
    if model_type is not None:
        return frame_for_model(model_type)
    raise ValueError("a REC sample needs `coord_frame` or `model_type` to know what frame its boxes are in")


def input_size_from_grid(image_grid_thw, patch_size: int = PATCH_SIZE) -> tuple[int, int]:
    """The (h, w) in pixels of the resized model input of one image, from its grid (t, h/p, w/p); p is 14
    for Qwen2-VL / 2.5-VL and 16 for Qwen3-VL."""
    grid = [int(v) for v in np.asarray(image_grid_thw).reshape(-1)]
    if len(grid) != 3:
        raise ValueError(f"image_grid_thw of one image has 3 entries (t, h, w), got {grid}")
    return grid[1] * patch_size, grid[2] * patch_size


def resolve_input_size(input_size=None, image_grid_thw=None) -> tuple[int, int] | None:
    """The model input's (h, w): `input_size` if given, else from `image_grid_thw`, else None."""
    if input_size is not None:
        h, w = (int(v) for v in np.asarray(input_size).reshape(-1))
        return h, w
    if image_grid_thw is not None:
        return input_size_from_grid(image_grid_thw)
    return None


def find_boxes(text: str) -> list[Box]:
    """Every box written in `text` (see the module docstring for the forms), in order of appearance."""
    found = []
    for pattern in (_BRACKET_BOX, _POINT_PAIR_BOX):
        for m in pattern.finditer(text):
            box = [float(g) for g in m.groups()]
            if all(math.isfinite(v) for v in box):
                found.append((m.start(), box))
    return [box for _, box in sorted(found, key=lambda item: item[0])]


def parse_box(completion: str) -> Box | None:
    """The one box a completion answers, or None (no answer, no box, or several different boxes)."""
    answer = final_answer(completion)
    if answer is None:
        return None
    distinct = []
    for box in find_boxes(answer):
        if box not in distinct:
            distinct.append(box)
    return distinct[0] if len(distinct) == 1 else None


def solution_box(solution) -> Box | None:
    """The ground-truth box of a solution: a flat sequence of 4 numbers, or text holding exactly one box."""
    if isinstance(solution, str):
        inner = extract_answer(solution)
        boxes = find_boxes(inner if inner is not None else solution)
        return boxes[0] if len(boxes) == 1 else None
    try:
        array = np.asarray(solution, dtype=float)
    except (TypeError, ValueError):
        return None
    # A nested list ([[x1, y1], [x2, y2]], [[box]]) is two points or a list of boxes, not one box:
    # flattening it would train a box target on, and score against, whatever its first four numbers are.
    if array.ndim != 1:
        return None
    values = [float(v) for v in array]
    return values if len(values) == 4 and all(math.isfinite(v) for v in values) else None


def _frame_scale(frame: CoordFrame, image_size, input_size, to_model: bool) -> tuple[float, float]:
    """The (x, y) factors from original pixels to a rescaled `frame` (`to_model`) or back.

    Each factor is one division (not the reciprocal of the other direction), so both directions round
    exactly as they did when written out separately.
    """
    w, h = (float(v) for v in image_size)
    if frame is CoordFrame.QWEN2_5_VL_ABS:
        if input_size is None:
            raise ValueError("coord_frame 'qwen2_5_vl_abs' needs input_size (h, w) or image_grid_thw")
        fh, fw = (float(v) for v in input_size)
    else:
        fw, fh = 1000.0, 1000.0
    return (fw / w, fh / h) if to_model else (w / fw, h / fh)


def to_original_frame(box: Sequence[float], frame, image_size=None, input_size=None) -> Box:
    """Map a box from the model's `frame` into original pixels, clamped to the image when its size is known.

    image_size: (w, h) of the original image. input_size: (h, w) of the resized model input (Qwen2.5-VL only).
    """
    frame = coord_frame(frame)
    x1, y1, x2, y2 = (float(v) for v in box)
    if frame is not CoordFrame.ORIGINAL:
        if image_size is None:
            raise ValueError(f"coord_frame {frame.value!r} needs the original image_size (w, h) to rescale")
        sx, sy = _frame_scale(frame, image_size, input_size, to_model=False)
        x1, x2, y1, y2 = x1 * sx, x2 * sx, y1 * sy, y2 * sy
    if image_size is not None:
        w, h = (float(v) for v in image_size)
        x1, x2 = (min(max(v, 0.0), w) for v in (x1, x2))
        y1, y2 = (min(max(v, 0.0), h) for v in (y1, y2))
    return [x1, y1, x2, y2]


def to_model_frame(box: Sequence[float], frame, image_size, input_size=None) -> Box:
    """Map a box from original pixels into the model's `frame`: the inverse of `to_original_frame` (no clamp).

    image_size: (w, h) of the original image. input_size: (h, w) of the resized model input (Qwen2.5-VL only).
    """
    frame = coord_frame(frame)
    x1, y1, x2, y2 = (float(v) for v in box)
    if frame is CoordFrame.ORIGINAL:
        return [x1, y1, x2, y2]
    sx, sy = _frame_scale(frame, image_size, input_size, to_model=True)
    return [x1 * sx, y1 * sy, x2 * sx, y2 * sy]


def box_iou(box1: Sequence[float], box2: Sequence[float]) -> float:
    """The standard IoU of two [x1, y1, x2, y2] boxes in continuous coordinates; 0 if either is empty.

    Intersection and areas are both (x2 - x1) * (y2 - y1), as in COCO's and torchvision's box IoU. Not what
    the seed's REC numbers use: those are `inclusive_pixel_iou`.
    """
    if box1[2] <= box1[0] or box1[3] <= box1[1] or box2[2] <= box2[0] or box2[3] <= box2[1]:
        return 0.0
    inter_w = min(box1[2], box2[2]) - max(box1[0], box2[0])
    inter_h = min(box1[3], box2[3]) - max(box1[1], box2[1])
    inter = max(inter_w, 0.0) * max(inter_h, 0.0)
    union = (box1[2] - box1[0]) * (box1[3] - box1[1]) + (box2[2] - box2[0]) * (box2[3] - box2[1]) - inter
    return float(inter) / union


def inclusive_pixel_iou(box1: Sequence[float], box2: Sequence[float]) -> float:
    """IoU of two [x1, y1, x2, y2] boxes with the seed's (VLM-R1's) inclusive-pixel intersection; 0 if empty.

    The seed and VLM-R1 (grpo_rec.py, test_rec_r1.py) compute the intersection over inclusive pixel indices,
    (min(x2) - 1) - max(x1) + 1, and require it to span more than one pixel, but the areas as exclusive
    (x2 - x1) * (y2 - y1). We keep exactly that, float for float, so our REC rewards and the eval's IoU > 0.5
    match theirs (it is the IoU of `answer_iou`, `rec_iou` and the seed's REC accuracy). R1-V has no box
    metric. A box with x2 <= x1 or y2 <= y1 (reversed corners included) covers nothing: IoU 0.
    For the standard IoU (e.g. a COCO-style detection metric) use `box_iou`.
    """
    if box1[2] <= box1[0] or box1[3] <= box1[1] or box2[2] <= box2[0] or box2[3] <= box2[1]:
        return 0.0
    inter_x1 = max(box1[0], box2[0])
    inter_y1 = max(box1[1], box2[1])
    inter_x2 = min(box1[2] - 1, box2[2] - 1)
    inter_y2 = min(box1[3] - 1, box2[3] - 1)
    if inter_x1 < inter_x2 and inter_y1 < inter_y2:
        inter = (inter_x2 - inter_x1 + 1) * (inter_y2 - inter_y1 + 1)
    else:
        inter = 0
    union = (box1[2] - box1[0]) * (box1[3] - box1[1]) + (box2[2] - box2[0]) * (box2[3] - box2[1]) - inter
    return float(inter) / union


def answer_iou(completion: str, solution, frame, image_size=None, input_size=None) -> float:
    """`inclusive_pixel_iou` of the completion's box, mapped to original pixels, and the solution's; 0 if no box."""
    gt = solution_box(solution)
    if gt is None:
        raise ValueError(f"solution {solution!r} is not one [x1, y1, x2, y2] box")
    box = parse_box(completion)
    if box is None:
        return 0.0
    return inclusive_pixel_iou(to_original_frame(box, frame, image_size, input_size), gt)
