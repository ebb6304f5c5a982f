"""What an answer (and its ground truth) says about the image: boxes, points and text in original pixels.

A result record is what the eval writes per sample (and what `paddlemix.infer` builds): `model_output`, and
the frame facts `coord_frame` or `model_type`, `image_size` (w, h), `input_size` (h, w) or `image_grid_thw`.
Every task reads its answer with the parser its reward and scoring use, and maps it with the same frame
functions, so a drawn box is exactly the box that was scored:

| task           | prediction                                            | per-sample score            |
| -------------- | ----------------------------------------------------- | --------------------------- |
| rec            | `parse_box` -> `to_original_frame`                    | IoU (`answer_iou`)          |
| grounding      | `tasks.grounding.result_box`                          | IoU (`result_scores`)       |
| detection      | `parse_json_detections` (repaired) -> original pixels | one-image COCO AP           |
| counting_boxes | `answer_boxes` -> `box_to_original`                   | correct (the task's scorer) |
| affordance     | the result's `bboxes` / `points` (already original)   | mask IoU                    |
| counting, geometry, ocr | the final answer as text                     | correct / edit distance     |
"""

from __future__ import annotations

from dataclasses import dataclass, field

from paddlemix.metrics.answers import final_answer
from paddlemix.metrics.boxes import (
    answer_iou,
    parse_box,
    resolve_frame,
    resolve_input_size,
    solution_box,
    to_original_frame,
)
from paddlemix.metrics.detection import (
    box_to_original,
    parse_json_detections,
    single_image_ap,
    to_original_detections,
)
from paddlemix.metrics.detection.grounding import answer_boxes
from paddlemix.metrics.detection.vision_r1 import solution_boxes
from paddlemix.metrics.text import ocr_text
from paddlemix.tasks import canonical_name, get_task
from paddlemix.tasks.affordance import result_iou
from paddlemix.tasks.grounding import result_box, result_scores
from paddlemix.tasks.ocr import result_metrics

MAX_TEXT = 400  # characters of an answer or ground truth shown as text


@dataclass
class Shapes:
    """Boxes (x1, y1, x2, y2, original pixels) with labels, points (x, y), and a short answer text."""

    boxes: list[tuple[list[float], str]] = field(default_factory=list)
    points: list[tuple[float, float]] = field(default_factory=list)
    text: str | None = None

    def scaled(self, factor: float) -> Shapes:
        """The same shapes on the image enlarged `factor` times."""
        return Shapes(
            boxes=[([v * factor for v in box], label) for box, label in self.boxes],
            points=[(x * factor, y * factor) for x, y in self.points],
            text=self.text,
        )


def _frame_facts(result: dict):
    """(frame, image_size, input_size) of a result record."""
    frame = resolve_frame(result.get("coord_frame"), result.get("model_type"))
    input_size = resolve_input_size(result.get("input_size"), result.get("image_grid_thw"))
    return frame, result.get("image_size"), input_size


def _short(text) -> str | None:
    """`text` as a string cut to MAX_TEXT characters (None stays None)."""
    if text is None:
        return None
    text = str(text)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"


def answer_shapes(task: str, result: dict) -> Shapes:
    """The prediction of a result record in original pixels (see the module docstring's table)."""
    task = canonical_name(task)
    output = result["model_output"]
    if task == "rec":
        box = parse_box(output)
        if box is None:
            return Shapes(text=_short(final_answer(output)))
        return Shapes(boxes=[(to_original_frame(box, *_frame_facts(result)), "answer")])
    if task == "grounding":
        box = result_box(result)
        return Shapes(boxes=[(box, "answer")]) if box is not None else Shapes(text=_short(output))
    if task == "detection":
        items, _ = parse_json_detections(output, repair=True)
        mapped = to_original_detections(items or [], *_frame_facts(result))
        return Shapes(boxes=[(d.box, d.label or "?") for d in mapped if d.box is not None])
    if task == "counting_boxes":
        facts = _frame_facts(result)
        boxes = [box_to_original(b, *facts) for b in answer_boxes(output)]
        kept = [b for b in boxes if b is not None]
        return Shapes(boxes=[(b, str(i + 1)) for i, b in enumerate(kept)], text=f"count {len(kept)}")
    if task == "affordance":
        boxes = [(list(b), "affordance") for b in result.get("bboxes") or []]
        points = [tuple(p) for p in result.get("points") or []]
        return Shapes(boxes=boxes, points=points, text=_short(result.get("failure")))
    if task == "ocr":
        return Shapes(text=_short(ocr_text(output)))
    return Shapes(text=_short(final_answer(output)))


def truth_shapes(task: str, result: dict) -> Shapes:
    """The ground truth of a result record in original pixels; empty where the result has none."""
    task = canonical_name(task)
    gt = result.get("ground_truth")
    if gt is None:
        return Shapes()
    if task in ("rec", "grounding"):
        box = solution_box(gt)
        return Shapes(boxes=[(box, "truth")]) if box is not None else Shapes()
    if task == "detection":
        return Shapes(boxes=[(list(box), name) for name, box in solution_boxes(gt)])
    if task == "affordance":
        return Shapes()  # the ground truth is a mask, scored through the segmenter
    return Shapes(text=_short(gt))


@dataclass(frozen=True)
class SampleScore:
    """One result's number in a gallery: its name, value, and whether higher is better."""

    name: str
    value: float
    higher_is_better: bool = True


def sample_score(task: str, result: dict) -> SampleScore:
    """The per-sample number of a result record (see the module docstring's table)."""
    task = canonical_name(task)
    if task == "rec":
        iou = result.get("iou")
        if iou is None:
            frame, image_size, input_size = _frame_facts(result)
            iou = answer_iou(result["model_output"], result["ground_truth"], frame, image_size, input_size)
        return SampleScore("IoU", float(iou))
    if task == "grounding":
        return SampleScore("IoU", float(result_scores(result)["IoU"]))
    if task == "detection":
        preds = [(label.strip().lower(), box) for box, label in answer_shapes(task, result).boxes]
        truth = [(name.strip().lower(), box) for name, box in solution_boxes(result["ground_truth"])]
        return SampleScore("AP", float(single_image_ap(preds, truth)))
    if task == "affordance":
        return SampleScore("mask IoU", float(result_iou(result)))
    if task == "ocr":
        return SampleScore(
            "edit distance", float(result_metrics(result)["edit_dist"]), higher_is_better=False
        )
    return SampleScore("correct", float(bool(get_task(task).scorers["fixed"](result))))
